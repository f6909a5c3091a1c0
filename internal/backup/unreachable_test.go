package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

type fakeNetErr struct{}

func (fakeNetErr) Error() string     { return "connection refused" }
func (fakeNetErr) Unreachable() bool { return true }

type fakeStatus int

func (e fakeStatus) Error() string     { return fmt.Sprint(int(e)) }
func (e fakeStatus) HTTPStatus() int   { return int(e) }
func (e fakeStatus) Unreachable() bool { return e >= 502 && e <= 504 }

func TestUnreachableOnlyForServerTrouble(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("get: %w", fakeNetErr{}), true},
		{fakeStatus(503), true},
		{fakeStatus(429), true},
		{fakeStatus(404), false},
		{fakeStatus(500), false},
		{&fs.PathError{Op: "sync", Path: "/media/.part-1", Err: errors.New("no space left on device")}, false},
		{errors.New("close: input/output error"), false},
	} {
		if got := unreachable(tt.err); got != tt.want {
			t.Errorf("unreachable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
