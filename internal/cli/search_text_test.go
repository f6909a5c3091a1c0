package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fedimarks/fedimarks"
)

func TestSearchTerminalSnippetKeepsSpacesAroundMatches(t *testing.T) {
	var b bytes.Buffer
	hit := fedimarks.Hit{Snippet: "Quokka number 50 is " + fedimarks.HighlightStart + "smiling" + fedimarks.HighlightEnd + " at\x1b[31m example"}
	writeHitText(&b, hit, "alice@a.example", true)
	out := b.String()
	if !strings.Contains(out, "is \x1b[1msmiling\x1b[0m at ") {
		t.Fatalf("snippet line %q lost the spaces around the match", out)
	}
	if n := strings.Count(out, "\x1b"); n != 2 {
		t.Fatalf("snippet line %q holds %d escape characters, want only the 2 of the highlight", out, n)
	}
}
