package cli

import (
	"io"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/ui"
)

// cleanText is fedimarks.CleanText: untrusted text (a server's) made safe
// for one line of a terminal.
func cleanText(s string) string { return fedimarks.CleanText(s) }

// dataOut is standard output for data (an export, a listing) and the
// function to call once it is all written. On a terminal the data goes
// through ui.TerminalWriter, so that nothing a server wrote drives the
// person's terminal; a pipe or a file gets it as it is.
func (a *app) dataOut() (io.Writer, func() error) {
	if !a.stdoutTTY() {
		return a.stdout, func() error { return nil }
	}
	tw := ui.NewTerminalWriter(a.stdout)
	return tw, tw.Flush
}
