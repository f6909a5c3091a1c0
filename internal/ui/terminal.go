package ui

import (
	"io"
	"unicode/utf8"

	"github.com/fedimarks/fedimarks"
)

// TerminalWriter passes data on to a terminal without anything the
// terminal would act on instead of showing: every rune goes through
// fedimarks.LineRune (escape sequences, BEL, CR and C1 controls become
// spaces, bidirectional overrides go, newline and tab stay), and invalid
// bytes become U+FFFD. A rune cut between two writes is put back together; Flush
// writes what is left of one when the data ends. Files get the data as it
// is; this is for a person's screen.
type TerminalWriter struct {
	w    io.Writer
	part []byte // the start of a rune cut by the end of the last Write
	out  []byte
}

// NewTerminalWriter returns a TerminalWriter writing to w.
func NewTerminalWriter(w io.Writer) *TerminalWriter {
	return &TerminalWriter{w: w}
}

// Write filters p and writes the rest to the terminal. It reports len(p)
// when the terminal took everything.
func (t *TerminalWriter) Write(p []byte) (int, error) {
	data := p
	if len(t.part) > 0 {
		data = append(t.part, p...)
		t.part = nil
	}
	out := t.out[:0]
	for len(data) > 0 {
		if !utf8.FullRune(data) {
			t.part = append([]byte(nil), data...)
			break
		}
		r, size := utf8.DecodeRune(data)
		data = data[size:]
		if c := fedimarks.LineRune(r); c >= 0 {
			out = utf8.AppendRune(out, c) // an invalid byte is RuneError: U+FFFD
		}
	}
	t.out = out
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush shows a rune cut by the end of the data as U+FFFD.
func (t *TerminalWriter) Flush() error {
	if len(t.part) == 0 {
		return nil
	}
	t.part = nil
	_, err := t.w.Write([]byte(string(utf8.RuneError)))
	return err
}
