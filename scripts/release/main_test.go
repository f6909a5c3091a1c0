package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

var testFiles = []file{{"fedimarks", []byte("\x7fELF binary"), 0o755}, {"README.md", []byte("# fedimarks\n"), 0o644}, {"LICENSE", []byte("Apache License\n"), 0o644}}

// entry is what an archive holds for one file.
type entry struct {
	data    string
	mode    os.FileMode
	modTime time.Time
}

func readTarGz(t *testing.T, path string) map[string]entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]entry{}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[hdr.Name] = entry{string(b), hdr.FileInfo().Mode().Perm(), hdr.ModTime.UTC()}
	}
}

func readZip(t *testing.T, path string) map[string]entry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]entry{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = entry{string(b), f.Mode().Perm(), f.Modified.UTC()}
	}
	return out
}

// The archives hold the binary (executable), README.md and LICENSE under
// one folder named like the archive, dated by the commit; the same input
// gives the same bytes.
func TestArchives(t *testing.T) {
	dir := t.TempDir()
	stamp := time.Date(2026, 12, 6, 7, 54, 7, 0, time.UTC)
	for _, tc := range []struct {
		goos string
		read func(*testing.T, string) map[string]entry
	}{{"linux", readTarGz}, {"windows", readZip}} {
		name := archiveName("v1.2.3", tc.goos, "arm64")
		folder := "fedimarks_v1.2.3_" + tc.goos + "_arm64"
		if want := folder + map[string]string{"linux": ".tar.gz", "windows": ".zip"}[tc.goos]; name != want {
			t.Fatalf("archive name %s, want %s", name, want)
		}
		path := filepath.Join(dir, name)
		if err := writeArchive(path, folder, testFiles, stamp); err != nil {
			t.Fatal(err)
		}
		got := tc.read(t, path)
		if len(got) != len(testFiles) {
			t.Errorf("%s holds %d entries, want %d", name, len(got), len(testFiles))
		}
		for _, f := range testFiles {
			e, ok := got[folder+"/"+f.name]
			if !ok || e.data != string(f.data) || e.mode != os.FileMode(f.mode) || !e.modTime.Equal(stamp) {
				t.Errorf("%s: %s is %+v (present %v), want %q mode %o at %s", name, f.name, e, ok, f.data, f.mode, stamp)
			}
		}
		first, _ := os.ReadFile(path)
		if err := writeArchive(path, folder, testFiles, stamp); err != nil {
			t.Fatal(err)
		}
		if again, _ := os.ReadFile(path); !bytes.Equal(first, again) {
			t.Errorf("%s differs from one run to the next", name)
		}
	}
}

// SHA256SUMS lists each archive once, sorted, as sha256sum writes it.
func TestChecksums(t *testing.T) {
	dir := t.TempDir()
	names := []string{"b.zip", "a.tar.gz"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("content of "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := checksums(dir, names)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, n := range []string{"a.tar.gz", "b.zip"} {
		sum := sha256.Sum256([]byte("content of " + n))
		want.WriteString(hex.EncodeToString(sum[:]) + "  " + n + "\n")
	}
	if string(got) != want.String() {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, want.String())
	}
}

func TestVersionOf(t *testing.T) {
	at := "2026-12-06T07:54:07Z"
	for _, tc := range []struct {
		info  *buildinfo.BuildInfo
		want  string
		stamp bool
	}{
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{{Key: "vcs.time", Value: at}}}, "v1.2.3", true},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206075407-61b480829520+dirty"}}, "v0.0.0-20261206075407-61b480829520+dirty", false},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel", false},
	} {
		v, stamp := versionOf(tc.info)
		if v != tc.want || stamp.IsZero() == tc.stamp {
			t.Errorf("versionOf(%s) = %s, %s; want %s, stamped %v", tc.info.Main.Version, v, stamp, tc.want, tc.stamp)
		}
	}
}
