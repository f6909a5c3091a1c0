package formats

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/fedimarks/fedimarks"
)

// jsonScanner walks the outer levels of one JSON document (the array of a
// json export, the collection object of bookmarks.json) punctuation by
// punctuation, and hands out each value below them whole, bounded in size.
//
// encoding/json's Decoder is not used for the outer levels: it keeps the
// whitespace it skips in its buffer and scans it again on every refill,
// which makes a document padded with blanks cost time quadratic in its
// size and memory as large as the padding. Here whitespace is skipped as
// it is read, and a value is kept only up to a limit, so time is linear
// and memory bounded whatever the input. Each value is then checked and
// decoded by encoding/json on its own.
type jsonScanner struct {
	r     *bufio.Reader
	off   int64  // bytes consumed so far
	start int64  // offset of the last value read
	buf   []byte // the last value read, reused
}

// isJSONSpace reports whether c is whitespace between JSON tokens.
func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

// chunk returns the bytes buffered in r, reading more when none are:
// scanning buffered bytes in bulk and discarding them costs one pass.
func (s *jsonScanner) chunk() ([]byte, error) {
	return s.r.Peek(max(1, s.r.Buffered()))
}

func (s *jsonScanner) discard(n int) {
	s.r.Discard(n)
	s.off += int64(n)
}

// peek skips whitespace and returns the next byte without consuming it,
// or io.EOF at the end of the input.
func (s *jsonScanner) peek() (byte, error) {
	for {
		b, err := s.chunk()
		i := 0
		for i < len(b) && isJSONSpace(b[i]) {
			i++
		}
		s.discard(i)
		if i < len(b) {
			return b[i], nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// value reads the next value (after whitespace) whole: a string, a number,
// a literal, or an object or array with everything in it. It finds where
// the value ends without checking its syntax; the caller checks it with
// json.Valid or json.Unmarshal. The bytes are valid until the next call.
// A value longer than limit bytes is read to its end but not kept: long
// is set and raw is nil, so that one huge value costs no memory.
func (s *jsonScanner) value(limit int) (raw []byte, long bool, err error) {
	if _, err := s.peek(); err != nil {
		return nil, false, err
	}
	s.start = s.off
	s.buf = s.buf[:0]
	var v valueEnd
	for {
		b, rerr := s.chunk()
		i, done := v.scan(b)
		if !long && len(s.buf)+i > limit {
			long, s.buf = true, s.buf[:0]
		}
		if !long {
			s.buf = append(s.buf, b[:i]...)
		}
		s.discard(i)
		if done || (rerr == io.EOF && v.scalar) {
			if long {
				return nil, true, nil
			}
			return s.buf, false, nil
		}
		if rerr == io.EOF {
			return nil, false, io.ErrUnexpectedEOF
		}
		if rerr != nil {
			return nil, false, rerr
		}
	}
}

// valueEnd finds where a JSON value ends, chunk by chunk: it follows
// strings (and their escapes) and the nesting of objects and arrays, or
// a scalar up to the byte after it.
type valueEnd struct {
	depth                             int
	inString, escape, scalar, started bool
}

// scan reads b, the value's next bytes, and returns how many of them
// belong to the value and whether it ends there.
func (v *valueEnd) scan(b []byte) (n int, done bool) {
	for i, c := range b {
		switch {
		case !v.started:
			v.started = true
			switch c {
			case '"':
				v.inString = true
			case '{', '[':
				v.depth++
			default:
				v.scalar = true
			}
		case v.inString:
			switch {
			case v.escape:
				v.escape = false
			case c == '\\':
				v.escape = true
			case c == '"':
				v.inString = false
				if v.depth == 0 {
					return i + 1, true
				}
			}
		case v.scalar:
			if isJSONSpace(c) || c == ',' || c == ']' || c == '}' || c == ':' {
				return i, true
			}
		default:
			switch c {
			case '"':
				v.inString = true
			case '{', '[':
				v.depth++
			case '}', ']':
				v.depth--
				if v.depth == 0 {
					return i + 1, true
				}
			}
		}
	}
	return len(b), false
}

// expect consumes the next byte (after whitespace) if it is one of want,
// and returns it.
func (s *jsonScanner) expect(name, where, want string) (byte, error) {
	c, err := s.peek()
	if err != nil {
		return 0, jsonSyntaxError(name, where, err)
	}
	for i := 0; i < len(want); i++ {
		if c == want[i] {
			s.discard(1)
			return c, nil
		}
	}
	quoted := make([]string, len(want))
	for i := range want {
		quoted[i] = fmt.Sprintf("%q", want[i:i+1])
	}
	expected := quoted[0]
	if len(quoted) == 2 {
		expected += " or " + quoted[1]
	}
	return 0, &fedimarks.Error{Code: fedimarks.EInvalid,
		Message: fmt.Sprintf("%s: broken JSON at %s (byte %d): expected %s, found %q", name, where, s.off+1, expected, string(c))}
}

// elements calls fn with each element of the array whose "[" was just
// consumed, and consumes its "]". where names an element for messages
// ("item 3"), from its 1-based number. An element longer than limit
// comes with long set and raw nil; an element that is not valid JSON
// ends the reading with an error naming it and its byte, and so does an
// error from fn.
func (s *jsonScanner) elements(name string, limit int, where func(i int) string, fn func(raw []byte, long bool, i int) error) error {
	for i := 1; ; i++ {
		if i > 1 {
			c, err := s.expect(name, "the end of "+where(i-1), ",]")
			if err != nil {
				return err
			}
			if c == ']' {
				return nil
			}
		} else if c, err := s.peek(); err != nil {
			return jsonSyntaxError(name, where(i), err)
		} else if c == ']' {
			s.discard(1)
			return nil
		}
		raw, long, err := s.value(limit)
		if err != nil {
			return jsonSyntaxError(name, where(i), err)
		}
		if !long {
			if err := checkJSON(name, where(i), s.start, raw); err != nil {
				return err
			}
		}
		if err := fn(raw, long, i); err != nil {
			return err
		}
	}
}

// checkJSON checks that raw, a value read at byte offset start, is valid
// JSON; the error names the byte where it breaks, counting from 1.
func checkJSON(name, where string, start int64, raw []byte) error {
	if json.Valid(raw) {
		return nil
	}
	var v any
	err := json.Unmarshal(raw, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: fmt.Sprintf("%s: broken JSON at %s (byte %d): %v", name, where, start+se.Offset, err), Err: err}
	}
	return &fedimarks.Error{Code: fedimarks.EInvalid, Message: fmt.Sprintf("%s: broken JSON at %s: %v", name, where, err), Err: err}
}
