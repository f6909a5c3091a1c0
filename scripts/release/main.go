// Command release cross-builds fedimarks for every platform a release
// ships: Linux, macOS and Windows on amd64 and arm64, static
// (CGO_ENABLED=0) and with file paths trimmed (-trimpath). Into dist/ it
// writes one archive per platform (tar.gz; zip for Windows) holding the
// binary, README.md and LICENSE, and SHA256SUMS over the archives, in
// sha256sum's format (check with: sha256sum -c SHA256SUMS).
//
//	go run ./scripts/release           # dist/
//	go run ./scripts/release -check    # build every target, keep nothing (CI)
//
// The version in the archive names is the one the binaries carry (what
// `fedimarks --version` prints): the tag when HEAD is tagged, else a
// pseudo-version from the commit. Run it from a clean checkout of a tag.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// targets are the released platforms, GOOS/GOARCH.
var targets = []string{
	"linux/amd64", "linux/arm64",
	"darwin/amd64", "darwin/arm64",
	"windows/amd64", "windows/arm64",
}

const mainPackage = "./cmd/fedimarks"

func main() {
	check := flag.Bool("check", false, "build every target and keep nothing (no dist/)")
	out := flag.String("o", "dist", "output `DIR` (emptied first)")
	flag.Parse()
	// Ctrl-C stops the build in progress and still removes the
	// temporary folder.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *check, *out)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, check bool, out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "fedimarks-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if !check {
		if !filepath.IsAbs(out) {
			out = filepath.Join(root, out)
		}
		if err := os.RemoveAll(out); err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
	}
	docs := map[string][]byte{}
	for _, name := range []string{"README.md", "LICENSE"} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			return err
		}
		docs[name] = b
	}
	var archives []string
	for _, t := range targets {
		goos, goarch, _ := strings.Cut(t, "/")
		start := time.Now()
		bin := filepath.Join(tmp, goos+"-"+goarch, binaryName(goos))
		if err := build(ctx, root, goos, goarch, bin); err != nil {
			return err
		}
		if check {
			fmt.Printf("built %s in %s\n", t, time.Since(start).Round(time.Second))
			os.Remove(bin)
			continue
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			return fmt.Errorf("%s: read build info: %w", t, err)
		}
		version, stamp := versionOf(info)
		name := archiveName(version, goos, goarch)
		files := []file{{binaryName(goos), b, 0o755}, {"README.md", docs["README.md"], 0o644}, {"LICENSE", docs["LICENSE"], 0o644}}
		if err := writeArchive(filepath.Join(out, name), strings.TrimSuffix(strings.TrimSuffix(name, ".zip"), ".tar.gz"), files, stamp); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		archives = append(archives, name)
		fmt.Printf("built %s in %s: %s\n", t, time.Since(start).Round(time.Second), filepath.Join(out, name))
	}
	if check {
		return nil
	}
	sums, err := checksums(out, archives)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "SHA256SUMS"), sums, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", filepath.Join(out, "SHA256SUMS"))
	return nil
}

// moduleRoot is the folder of the go.mod the build uses.
func moduleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the fedimarks module")
	}
	return filepath.Dir(mod), nil
}

func binaryName(goos string) string {
	if goos == "windows" {
		return "fedimarks.exe"
	}
	return "fedimarks"
}

// build cross-builds the binary for goos/goarch into bin. -buildvcs=auto
// stamps the commit even where GOFLAGS turns that off.
func build(ctx context.Context, root, goos, goarch, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=auto", "-ldflags=-s -w", "-o", bin, mainPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

// versionOf returns the version a binary carries, fit for a file name,
// and the time its archive entries get: the commit's, so that the same
// commit gives the same archives (zero when unknown).
func versionOf(info *buildinfo.BuildInfo) (string, time.Time) {
	v := strings.Trim(info.Main.Version, "()")
	if v == "" {
		v = "devel"
	}
	var stamp time.Time
	for _, s := range info.Settings {
		if s.Key == "vcs.time" {
			stamp, _ = time.Parse(time.RFC3339, s.Value)
		}
	}
	return v, stamp
}

// archiveName is fedimarks_VERSION_OS_ARCH with .zip for Windows and
// .tar.gz elsewhere.
func archiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return "fedimarks_" + version + "_" + goos + "_" + goarch + ext
}

// file is one entry of an archive.
type file struct {
	name string
	data []byte
	mode int64
}

// writeArchive writes files under dir/ into path, a .zip or a .tar.gz
// (by its name), every entry dated stamp (or 2000-01-01 when zero).
func writeArchive(path, dir string, files []file, stamp time.Time) error {
	if stamp.IsZero() {
		stamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".zip") {
		err = writeZip(&buf, dir, files, stamp)
	} else {
		err = writeTarGz(&buf, dir, files, stamp)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeTarGz(w io.Writer, dir string, files []file, stamp time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{Name: dir + "/" + f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: stamp, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, dir string, files []file, stamp time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: dir + "/" + f.name, Method: zip.Deflate, Modified: stamp}
		hdr.SetMode(os.FileMode(f.mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// checksums is SHA256SUMS for the named files of dir, sorted by name, in
// sha256sum's format: the hex digest, two spaces, the name.
func checksums(dir string, names []string) ([]byte, error) {
	names = slices.Sorted(slices.Values(names))
	var b bytes.Buffer
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	}
	return b.Bytes(), nil
}
