package transfer

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/fedimarks/fedimarks"
)

// TestRunListingUnreachableSaysItPlainly: a destination that does not
// answer when its bookmarks are read (the client's retries spent) ends the
// run with one line naming the account, the server and what happened, not
// the request and the socket call ("GET /api/v1/bookmarks: dial tcp
// 127.0.0.1:8080: connect: connection refused"). Nothing was decided: the
// run stops as EUnavailable, and no row got an outcome.
func TestRunListingUnreachableSaysItPlainly(t *testing.T) {
	ctx := context.Background()
	d := newFakeDest(destHost)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	d.before = func(kind, _ string) error {
		if kind == "list" {
			return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: fmt.Errorf("GET /api/v1/bookmarks: %w", refused)}
		}
		t.Errorf("%s request after the listing failed", kind)
		return nil
	}
	_, err := newImporter(d, NewMemJournal()).Run(ctx, req(itemsOf("https://a.example/users/a/statuses/1")))
	if fedimarks.ErrorCode(err) != fedimarks.EUnavailable || !fedimarks.IsUnreachable(err) {
		t.Fatalf("err %v (code %s), want an unreachable EUnavailable", err, fedimarks.ErrorCode(err))
	}
	msg := err.Error()
	want := "read the bookmarks of bob@" + destHost + ": " + destHost + " did not answer (connection refused)"
	if !strings.Contains(msg, want) {
		t.Errorf("error %q, want it to say %q", msg, want)
	}
	for _, jargon := range []string{"dial tcp", "GET /api", "connect:"} {
		if strings.Contains(msg, jargon) {
			t.Errorf("error %q holds %q", msg, jargon)
		}
	}
}

// TestRunListingAnsweredWithAnErrorSaysTheAnswer: a destination that
// answers its listing with an error (503 while it is down for
// maintenance, the client's retries spent) is not said to "not answer":
// the line says what it answered.
func TestRunListingAnsweredWithAnErrorSaysTheAnswer(t *testing.T) {
	d := newFakeDest(destHost)
	d.before = func(kind, _ string) error {
		if kind == "list" {
			return &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Status: "503 Service Unavailable",
				Message: "down for maintenance", Err: fmt.Errorf("GET /api/v1/bookmarks: 503 Service Unavailable")}
		}
		return nil
	}
	_, err := newImporter(d, NewMemJournal()).Run(context.Background(), req(itemsOf("https://a.example/users/a/statuses/1")))
	want := "read the bookmarks of bob@" + destHost + ": " + destHost + " answers 503 Service Unavailable (down for maintenance)"
	if fedimarks.ErrorCode(err) != fedimarks.EUnavailable || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "did not answer") {
		t.Errorf("err %v (code %s), want an EUnavailable saying %q", err, fedimarks.ErrorCode(err), want)
	}
}

// TestCauseInPlainWords: the innermost cause of a network error as the
// rows and messages say it: a connection closed without an answer is said
// so, as login says it, not as Go's "EOF".
func TestCauseInPlainWords(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("GET /api/v1/bookmarks: %w", io.EOF), "it closed the connection without a word"},
		{fmt.Errorf("GET /api/v1/bookmarks: %w", io.ErrUnexpectedEOF), "it closed the connection without a word"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, "connection refused"},
	} {
		if got := cause(c.err); got != c.want {
			t.Errorf("cause(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
