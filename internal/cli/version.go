package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the module version of this build for the User-Agent:
// "v1.2.3" from go install, a pseudo-version from a build in a checkout,
// "devel" when the build knows none.
var version = strings.Trim(readBuildInfo().Version, "()")

// buildInfo is what `fedimarks --version` says about the binary.
type buildInfo struct {
	Version   string // module version
	Revision  string // VCS commit, "" when unknown
	Time      string // commit time (RFC 3339), "" when unknown
	Modified  bool   // built with uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return parseBuildInfo(bi, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// parseBuildInfo reads the version and VCS stamps of bi (nil when the
// binary carries none).
func parseBuildInfo(bi *debug.BuildInfo, goVersion, platform string) buildInfo {
	v := buildInfo{Version: "(devel)", GoVersion: goVersion, Platform: platform}
	if bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is one line: version, commit and its date when known, whether
// the tree had changes, the Go version and the platform.
func (v buildInfo) String() string {
	var parts []string
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		c := "commit " + rev
		if v.Time != "" {
			c += " of " + v.Time
		}
		if v.Modified {
			c += ", with uncommitted changes"
		}
		parts = append(parts, c)
	} else if v.Version == "(devel)" {
		parts = append(parts, "no version control information")
	}
	parts = append(parts, v.GoVersion+" "+v.Platform)
	return fmt.Sprintf("fedimarks %s (%s)", v.Version, strings.Join(parts, "; "))
}
