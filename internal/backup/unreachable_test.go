package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
)

type fakeNetErr struct{}

func (fakeNetErr) Error() string { return "connection refused" }

func (e fakeNetErr) As(target any) bool { return asRemote(target, fedimarks.KindUnreachable, e) }

type fakeStatus int

func (e fakeStatus) Error() string { return fmt.Sprint(int(e)) }

func (e fakeStatus) As(target any) bool { return asRemote(target, kindOfStatus(int(e)), e) }

// asRemote lets errors.As read a fake error as the *fedimarks.RemoteError
// of kind k that the client would return.
func asRemote(target any, k fedimarks.Kind, err error) bool {
	re, ok := target.(**fedimarks.RemoteError)
	if ok {
		*re = &fedimarks.RemoteError{Kind: k, Err: err}
	}
	return ok
}

// kindOfStatus is the kind internal/mastodon gives an HTTP status.
func kindOfStatus(status int) fedimarks.Kind {
	return fedimarks.ErrorKind(mastodon.Remote(&mastodon.APIError{StatusCode: status}))
}

// AsRemote and KindOfStatus serve the fakes of package backup_test.
var AsRemote, KindOfStatus = asRemote, kindOfStatus

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
