package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// On Misskey only ap/show's calls (one a post of another server) count
// against a limit, its own: 90 of them at 30 an hour take 3 hours.
func TestEstimateMisskeyPacedByAPShow(t *testing.T) {
	e := Estimate{Requests: 181, Remote: 90, Paced: "ap/show", PacedRequests: 90, RateLimit: RateLimit{Requests: 30, Window: time.Hour}}
	e.timeNeeded()
	if e.Duration != 3*time.Hour {
		t.Errorf("duration %v, want 3h", e.Duration)
	}
	if got := e.timeText("m.example"); !strings.Contains(got, "90 calls of ap/show at 30 per 1h00m") || strings.Contains(got, "Mastodon") {
		t.Errorf("text %q", got)
	}
}

// A conflict refusing a bookmark means "already there" on snac and on
// Misskey's API (ALREADY_FAVORITED), nowhere else.
func TestConflictIsAlready(t *testing.T) {
	for sw, want := range map[string]bool{"snac": true, "mastodon": false, "gotosocial": false, "sharkey": false, "": false} {
		if got := conflictIsAlready(sw, ""); got != want {
			t.Errorf("%q through Mastodon's API: %v", sw, got)
		}
		if !conflictIsAlready(sw, fedimarks.FamilyMisskey) {
			t.Errorf("%q through Misskey's API: not already", sw)
		}
	}
	err := &fedimarks.RemoteError{Kind: fedimarks.KindConflict, Status: "400 Bad Request", Err: errString("x")}
	if v, _ := classify(err, true, "a@b", conflictIsAlready("misskey", fedimarks.FamilyMisskey)); v != vAlready {
		t.Errorf("misskey's conflict: verdict %v", v)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
