package ui

import (
	"bytes"
	"testing"
)

func TestTerminalWriter(t *testing.T) {
	in := "title\x1b[2J\x1b]0;owned\x07\r\n" + // escape sequences, BEL, CR
		"csi \u009b31m\tdel\x7f\n" + // C1 CSI (UTF-8), tab kept, DEL
		"\u202eevil\u202c 👩\u200d💻 zoë\u2028end\n" +
		"bad\xffbyte\n"
	want := "title [2J ]0;owned  \n" +
		"csi  31m\tdel \n" +
		"evil 👩\u200d💻 zoë end\n" +
		"bad\ufffdbyte\n"
	// Whatever the cuts between writes, the same comes out: runes cut in
	// two are put back together.
	for step := 1; step <= len(in); step++ {
		var b bytes.Buffer
		w := NewTerminalWriter(&b)
		for i := 0; i < len(in); i += step {
			end := min(i+step, len(in))
			if n, err := w.Write([]byte(in[i:end])); err != nil || n != end-i {
				t.Fatalf("step %d: Write = %d, %v", step, n, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Fatalf("step %d: got %q, want %q", step, b.String(), want)
		}
	}
	// A rune cut by the end of the data is shown as U+FFFD.
	var b bytes.Buffer
	w := NewTerminalWriter(&b)
	w.Write([]byte("end \xe2\x80"))
	w.Flush()
	if b.String() != "end \ufffd" {
		t.Errorf("cut rune at the end: %q", b.String())
	}
}

// A note may carry a server's text (an unreadable bookmark, an error): it
// reaches the terminal as one clean line.
func TestProgressNoteIsClean(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, ProgressOptions{Label: "backup", Unit: "bookmarks"})
	p.Note("skipped %s", "{\"id\":\"1\x1b[2J\x1b]0;owned\x07\r\n\u009b31m\"}")
	if got, want := b.String(), "skipped {\"id\":\"1 [2J ]0;owned 31m\"}\n"; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
}
