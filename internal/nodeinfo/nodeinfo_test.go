package nodeinfo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodontest"
)

func TestDetectNamesEveryFamily(t *testing.T) {
	n := mastodontest.NewNetwork(t)
	for _, c := range []struct {
		opts   mastodontest.InstanceOptions
		want   string
		family fedimarks.Family
	}{
		{mastodontest.InstanceOptions{}, "mastodon 4.3.0", fedimarks.FamilyMastodon},
		{mastodontest.InstanceOptions{Quirk: mastodontest.GoToSocial}, "gotosocial 0.17.3 git-c0ffee", fedimarks.FamilyMastodon},
		{mastodontest.InstanceOptions{Quirk: mastodontest.Pixelfed}, "pixelfed 0.12.4", fedimarks.FamilyMastodon},
		{mastodontest.InstanceOptions{Quirk: mastodontest.Snac}, "snac 2.59", fedimarks.FamilyMastodon},
		{mastodontest.InstanceOptions{Quirk: mastodontest.Misskey}, "misskey 2024.11.0", fedimarks.FamilyMisskey},
		{mastodontest.InstanceOptions{Quirk: mastodontest.Misskey, Software: "sharkey", Version: "2024.11.2"}, "sharkey 2024.11.2", fedimarks.FamilyMisskey},
		{mastodontest.InstanceOptions{Software: "akkoma", Version: "3.13.2"}, "akkoma 3.13.2", fedimarks.FamilyMastodon},
	} {
		i := n.NewInstance(c.opts)
		sw, err := Detect(context.Background(), http.DefaultClient, i.URL(), "test")
		if err != nil || sw.String() != c.want || sw.Family() != c.family {
			t.Errorf("%s: %q %s, %v", c.want, sw, sw.Family(), err)
		}
	}
	none := n.NewInstance(mastodontest.InstanceOptions{NoNodeinfo: true})
	if _, err := Detect(context.Background(), http.DefaultClient, none.URL(), "test"); !errors.Is(err, ErrNone) || fedimarks.IsUnreachable(err) {
		t.Errorf("no nodeinfo: %v", err)
	}
	// A server that hangs up on the path is there, without NodeInfo; one
	// that cannot be connected to is unreachable.
	down := n.NewInstance(mastodontest.InstanceOptions{})
	down.SetDown(true)
	if _, err := Detect(context.Background(), http.DefaultClient, down.URL(), "test"); !errors.Is(err, ErrNone) {
		t.Errorf("hung up: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := Detect(context.Background(), http.DefaultClient, closed, "test"); !fedimarks.IsUnreachable(err) {
		t.Errorf("refused: %v", err)
	}
}
