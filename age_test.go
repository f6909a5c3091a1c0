package fedimarks

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "less than a minute ago"},
		{59 * time.Second, "less than a minute ago"},
		{time.Minute, "1 minute ago"},
		{119 * time.Minute, "119 minutes ago"},
		{2 * time.Hour, "2 hours ago"},
		{47*time.Hour + 59*time.Minute, "47 hours ago"},
		{48 * time.Hour, "2 days ago"},
		{9*24*time.Hour + 23*time.Hour, "9 days ago"},
	} {
		if got := Ago(tt.d); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
