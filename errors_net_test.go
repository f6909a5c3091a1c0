package fedimarks

import (
	"errors"
	"fmt"
	"testing"
)

type fakeNetErr struct {
	status int
	down   bool
}

func (e fakeNetErr) Error() string     { return fmt.Sprintf("status %d", e.status) }
func (e fakeNetErr) HTTPStatus() int   { return e.status }
func (e fakeNetErr) Unreachable() bool { return e.down }

func TestIsUnreachableAndHTTPStatus(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		down   bool
		status int
	}{
		{"nil", nil, false, 0},
		{"plain", errors.New("disk full"), false, 0},
		{"404", fakeNetErr{status: 404}, false, 404},
		{"503 down, wrapped twice", fmt.Errorf("a: %w", &Error{Code: EUnavailable, Err: fakeNetErr{status: 503, down: true}}), true, 503},
		{"no answer", fmt.Errorf("fetch: %w", fakeNetErr{down: true}), true, 0},
	} {
		if got := IsUnreachable(c.err); got != c.down {
			t.Errorf("%s: IsUnreachable = %v, want %v", c.name, got, c.down)
		}
		if got := HTTPStatus(c.err); got != c.status {
			t.Errorf("%s: HTTPStatus = %d, want %d", c.name, got, c.status)
		}
	}
}
