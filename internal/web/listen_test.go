package web_test

import (
	"context"
	"net"
	"strings"
	"testing"

	fedimarks "github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/web"
)

// TestListenOnAPortInUse: serve --addr on a port another program holds
// says so in one line a person reads, naming the address and the way out
// (another port, or 127.0.0.1:0 for a free one), without the socket
// call's text ("listen tcp 127.0.0.1:8080: bind: address already in
// use", said twice before).
func TestListenOnAPortInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	ln, err := web.Listen(context.Background(), addr)
	if err == nil {
		ln.Close()
		t.Fatalf("listened on %s, which another listener holds", addr)
	}
	msg := err.Error()
	for _, want := range []string{addr + " is in use", "--addr 127.0.0.1:0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	for _, jargon := range []string{"listen tcp", "bind:"} {
		if strings.Contains(msg, jargon) {
			t.Errorf("error %q holds the socket call's %q", msg, jargon)
		}
	}
	if strings.Count(msg, addr) != 1 {
		t.Errorf("error %q names %s more than once", msg, addr)
	}
	if code := fedimarks.ErrorCode(err); code == fedimarks.EInvalid || code == fedimarks.EPartial {
		t.Errorf("code %q: the exit code stays 1, as before", code)
	}
}
