package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// emptyDir fails the test unless dir holds nothing.
func emptyDir(t *testing.T, what, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s %s: %s was left there", what, dir, e.Name())
	}
}

// outputInOrder fails the test unless every want appears in s, in this order.
func outputInOrder(t *testing.T, s string, wants ...string) {
	t.Helper()
	rest := s
	for _, w := range wants {
		k := strings.Index(rest, w)
		if k < 0 {
			t.Fatalf("output lacks %q (in this place):\n%s", w, s)
		}
		rest = rest[k+len(w):]
	}
}

// TestDemoBinary runs `fedimarks demo` as a newcomer would, from the built
// binary on a fresh machine: no account, a FEDIMARKS_HOME that must stay
// untouched, the keyring never asked. Every step runs, the outcomes are
// those the sandbox sets up, the exported page is in the current folder,
// and nothing else is left anywhere.
func TestDemoBinary(t *testing.T) {
	bin := buildBinary(t)
	root := t.TempDir()
	dirs := map[string]string{}
	for _, d := range []string{"cwd", "home", "tmp", "realhome"} {
		dirs[d] = filepath.Join(root, d)
		if err := os.Mkdir(dirs[d], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "demo")
	cmd.Dir = dirs["cwd"]
	cmd.Env = []string{"HOME=" + dirs["home"], "TMPDIR=" + dirs["tmp"], "FEDIMARKS_HOME=" + dirs["realhome"], "PATH=" + os.Getenv("PATH")}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	out := string(outb)
	if err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("demo wrote to stderr: %s", stderr.String())
	}
	outputInOrder(t, out,
		"$ fedimarks login http://127.0.0.1:", "Logged in as alice@127.0.0.1:", "(exit 0)",
		"$ fedimarks login http://127.0.0.1:", "Logged in as alice@127.0.0.1:", "(exit 0)",
		"$ fedimarks backup alice@127.0.0.1:", "--media", "10 new", "media: 12 files", "(exit 0)",
		"Meanwhile erin@",
		"$ fedimarks export", "Wrote "+filepath.Join(dirs["cwd"], demoExport), "(exit 0)",
		"$ fedimarks migrate --from alice@", "7 imported, 1 already, 1 not_found, 1 not_visible", "(exit 3)",
		"$ fedimarks verify --from alice@", "2 missing", "(exit 3)",
		"What happened",
		"10 bookmarks", "12 media files",
		"10 rows: 7 imported, 1 already, 1 not_found, 1 not_visible",
		"- not_visible: http://", "follow", "--retry-failed", "a followers-only post by carol@",
		"- not_found: http://", "what the sandbox did: deleted by erin@",
		"- already: http://",
		"verify found 2 posts missing",
		"Look at the result", "fedimarks demo --serve",
		"fedimarks login YOUR.SERVER",
	)
	if strings.Contains(out, "\x1b") {
		t.Errorf("the demo's output holds escape codes with no terminal:\n%q", out)
	}
	// The followers-only and the deleted posts are the rows verify lists.
	missing := regexp.MustCompile(`(?m)^    http://127\.0\.0\.1:\d+/users/(\w+)/statuses/\d+$`).FindAllStringSubmatch(out, -1)
	if len(missing) != 2 || missing[0][1] != "erin" || missing[1][1] != "carol" {
		t.Errorf("verify listed %v, want erin's then carol's post", missing)
	}

	page, err := os.ReadFile(filepath.Join(dirs["cwd"], demoExport))
	if err != nil {
		t.Fatalf("the export is not in the current folder: %v", err)
	}
	for _, want := range []string{
		"Watercolour of the harbour at dawn", // media
		"Sketchbook pages",                   // followers-only
		"Draft thoughts on federation",       // deleted after the backup: the archive keeps it
		"How we run our small server",        // from the new server
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the exported page lacks %q", want)
		}
	}
	if m := fileMode(t, filepath.Join(dirs["cwd"], demoExport)); m != 0o600 {
		t.Errorf("the export is %o, want 600", m)
	}
	ents, _ := os.ReadDir(dirs["cwd"])
	if len(ents) != 1 {
		t.Errorf("the current folder holds %d entries, want only the export", len(ents))
	}
	emptyDir(t, "the temporary folder", dirs["tmp"])
	emptyDir(t, "FEDIMARKS_HOME", dirs["realhome"])
	emptyDir(t, "HOME", dirs["home"])
}

// TestDemoKeepsHomeAndServes runs `demo --home DIR --serve`: the page on
// the sandbox archive answers until Ctrl-C, which ends the demo with 0;
// DIR keeps the archive, which `--home DIR` on any command then reads.
func TestDemoKeepsHomeAndServes(t *testing.T) {
	root := t.TempDir()
	kept := filepath.Join(root, "kept")
	tmp := t.TempDir()
	realHome := t.TempDir()
	env := map[string]string{"FEDIMARKS_HOME": realHome, "TMPDIR": tmp}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	re := regexp.MustCompile(`Serving the archive at (http://\S+/)`)
	out := &syncBuffer{onWrite: func(all string) {
		if m := re.FindStringSubmatch(all); m != nil {
			select {
			case addr <- m[1]:
			default:
			}
		}
	}}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"demo", "--home", kept, "--serve", "-o", filepath.Join(root, "page.html")}, IO{
			Stdout: out, Stderr: &stderr, Getenv: func(k string) string { return env[k] },
		})
	}()
	var url string
	select {
	case url = <-addr:
	case code := <-done:
		t.Fatalf("demo ended (exit %d) without serving:\n%s\n%s", code, out.String(), stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("demo did not serve:\n%s", out.String())
	}
	resp, err := http.Get(url + "?q=lemon")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "lemon bread") {
		t.Errorf("the served page: %d, no lemon bread:\n%s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("demo --serve ended with %d after Ctrl-C, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --serve did not stop on Ctrl-C")
	}
	if !strings.Contains(out.String(), "The page on the sandbox archive follows") {
		t.Errorf("the summary does not announce the page:\n%s", out.String())
	}

	// The archive stayed in DIR, and --home reads it like FEDIMARKS_HOME.
	accounts := Main(context.Background(), []string{"accounts", "--home", kept, "--json"}, IO{Stdout: out, Getenv: func(k string) string { return env[k] }})
	if accounts != 0 || strings.Count(out.String(), `"account":"alice@127.0.0.1:`) != 2 {
		t.Errorf("accounts --home %s: exit %d\n%s", kept, accounts, out.String())
	}
	// The old account is the default: a command naming none acts for it.
	var serr strings.Builder
	if code := Main(context.Background(), []string{"search", "--home", kept, "kangaroo"}, IO{Stdout: io.Discard, Stderr: &serr, Getenv: func(k string) string { return env[k] }}); code == ExitUsage || strings.Contains(serr.String(), "several accounts") {
		t.Errorf("search --home %s naming no account: exit %d, want the default account's search:\n%s", kept, code, serr.String())
	}
	emptyDir(t, "FEDIMARKS_HOME", realHome)
	emptyDir(t, "the temporary folder", tmp)
}

// The demo keeps its sandbox only in a new or empty folder: a folder with
// anything in it, a real archive say, is refused and left as it was.
func TestDemoRefusesBusyHome(t *testing.T) {
	busy := t.TempDir()
	archive := filepath.Join(busy, "archive.db")
	if err := os.WriteFile(archive, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, ExitUsage, newHome(t), "", "demo", "--home", busy)
	if !strings.Contains(r.stderr, "is not empty") {
		t.Errorf("stderr %q does not say why", r.stderr)
	}
	if b, err := os.ReadFile(archive); err != nil || string(b) != "mine" {
		t.Errorf("the folder's archive changed: %q %v", b, err)
	}
	if ents, _ := os.ReadDir(busy); len(ents) != 1 {
		t.Errorf("the demo wrote into %s", busy)
	}
	// Given before the command's name, --home is the sandbox's too.
	if r := mustRun(t, ExitUsage, newHome(t), "", "--home", busy, "demo"); !strings.Contains(r.stderr, "is not empty") {
		t.Errorf("fedimarks --home %s demo: %q", busy, r.stderr)
	}
	if r := runTool(t, nil, newHome(t), "", "demo", "--addr", "0.0.0.0:80", "--serve"); r.code != ExitUsage {
		t.Errorf("--addr 0.0.0.0:80: exit %d, want 2", r.code)
	}
}
