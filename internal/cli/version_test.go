package cli

import (
	"runtime/debug"
	"testing"
)

func TestParseBuildInfo(t *testing.T) {
	vcs := func(rev, at, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: at}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "61b48082952080e8b01145f53e05ee0f469c7be0"
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"go install of a release", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.3"}},
			"fedimarks v1.2.3 (go1.26.1 linux/arm64)"},
		{"go build in a clean checkout", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261206075407-61b480829520"},
			Settings: vcs(rev, "2026-12-06T07:54:07Z", "false")},
			"fedimarks v0.0.0-20261206075407-61b480829520 (commit 61b480829520 of 2026-12-06T07:54:07Z; go1.26.1 linux/arm64)"},
		{"go build with changes", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"},
			Settings: vcs(rev, "2026-12-06T07:54:07Z", "true")},
			"fedimarks (devel) (commit 61b480829520 of 2026-12-06T07:54:07Z, with uncommitted changes; go1.26.1 linux/arm64)"},
		{"go build in a worktree or a tarball", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}},
			"fedimarks (devel) (no version control information; go1.26.1 linux/arm64)"},
		{"no build info", nil, "fedimarks (devel) (no version control information; go1.0 linux/arm64)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseBuildInfo(tc.bi, "go1.0", "linux/arm64").String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
