package cli

import (
	"github.com/fedimarks/fedimarks"
)

// cleanText is fedimarks.CleanText: untrusted text (a server's) made safe
// for one line of a terminal.
func cleanText(s string) string { return fedimarks.CleanText(s) }
