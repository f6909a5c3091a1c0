package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const token = "s3cr3t-T0KEN-value"

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "config", "tokens")
	s := NewFileStore(dir)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewFileStore touched the disk: %v", err)
	}
	if _, err := s.Get(ctx, "alice@127.0.0.1:8080"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, "alice@127.0.0.1:8080", token); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "mastodon.social app", "other"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "alice@127.0.0.1:8080")
	if err != nil || got != token {
		t.Fatalf("Get = %q, %v; want the token", got, err)
	}
	if err := s.Set(ctx, "alice@127.0.0.1:8080", "replaced\n"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "alice@127.0.0.1:8080"); got != "replaced\n" {
		t.Fatalf("after replace Get = %q", got)
	}
	if got, _ := s.Get(ctx, "mastodon.social app"); got != "other" {
		t.Fatalf("other key Get = %q", got)
	}
	if w, want := s.Where("alice@127.0.0.1:8080"), filepath.Join(dir, "alice@127.0.0.1%3A8080"); w != want {
		t.Fatalf("Where = %q, want %q", w, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "alice@127.0.0.1%3A8080,mastodon.social%20app" {
		t.Fatalf("files in dir: %v (temporary files left?)", names)
	}
}

func TestFileStoreModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tokens")
	s := NewFileStore(dir)
	if err := s.Set(ctx, "alice@host", token); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	assertMode(t, filepath.Join(dir, "alice@host"), 0o600)

	// A directory that already exists with wider permissions is tightened,
	// and a file left wider by hand is replaced by a 0600 one.
	wide := filepath.Join(t.TempDir(), "wide")
	if err := os.Mkdir(wide, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(wide, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wide, "bob@host"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(wide, "bob@host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := NewFileStore(wide).Set(ctx, "bob@host", token); err != nil {
		t.Fatal(err)
	}
	assertMode(t, wide, 0o700)
	assertMode(t, filepath.Join(wide, "bob@host"), 0o600)
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s: mode %o, want %o", path, got, want)
	}
}

func TestFileStoreDeleteIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewFileStore(dir)
	if err := s.Delete(ctx, "nobody@host"); err != nil {
		t.Fatalf("Delete of a missing key in an empty dir: %v", err)
	}
	if err := NewFileStore(filepath.Join(dir, "missing")).Delete(ctx, "nobody@host"); err != nil {
		t.Fatalf("Delete in a missing dir: %v", err)
	}
	if err := s.Set(ctx, "alice@host", token); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := s.Delete(ctx, "alice@host"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := s.Get(ctx, "alice@host"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"alice@127.0.0.1:8080", "alice@127.0.0.1%3A8080"},
		{"mastodon.social app", "mastodon.social%20app"},
		{"Bob_x-1@example.social", "Bob_x-1@example.social"},
		{".", "%2E"},
		{"..", "%2E."},
		{"../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"},
		{`a\b`, "a%5Cb"},
		{"100%", "100%25"},
		{"é", "%C3%A9"},
		{"a\x00b", "a%00b"},
	} {
		got, err := fileName(tc.key)
		if err != nil || got != tc.want {
			t.Errorf("fileName(%q) = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
	if _, err := fileName(""); err == nil {
		t.Error("fileName of the empty key should fail")
	}
	if _, err := fileName(strings.Repeat("x", 300)); err == nil {
		t.Error("fileName of a 300-byte key should fail")
	}
	// Distinct keys get distinct names.
	keys := []string{"a:b", "a%3Ab", "a b", "a%20b", ".a", "%2Ea", "a/b", "a%2Fb"}
	seen := map[string]string{}
	for _, k := range keys {
		n, err := fileName(k)
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[n]; ok {
			t.Fatalf("keys %q and %q both map to %q", other, k, n)
		}
		seen[n] = k
	}
}

func TestFileStoreKeyCannotEscape(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "a", "tokens")
	s := NewFileStore(dir)
	for _, key := range []string{"../x", "../../x", "..", ".", "/etc/x", `..\..\x`, "a/../../x"} {
		if err := s.Set(ctx, key, token); err != nil {
			t.Fatalf("Set(%q): %v", key, err)
		}
		if got, err := s.Get(ctx, key); err != nil || got != token {
			t.Fatalf("Get(%q) = %q, %v", key, got, err)
		}
		if w := s.Where(key); filepath.Dir(w) != dir {
			t.Fatalf("Where(%q) = %q, outside %q", key, w, dir)
		}
	}
	// Everything written is directly inside dir.
	err := filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() && filepath.Dir(path) != dir {
			return fmt.Errorf("file %s outside %s", path, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "", token); err == nil {
		t.Fatal("Set with an empty key should fail")
	}
}

func TestFileStoreErrorsHideSecret(t *testing.T) {
	ctx := context.Background()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewFileStore(notDir).Set(ctx, "alice@host", token)
	if err == nil {
		t.Fatal("Set under a regular file should fail")
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error shows the secret: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := NewFileStore(t.TempDir()).Set(canceled, "alice@host", token); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a canceled context: %v", err)
	}
}

func TestFileStoreConcurrentSet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewFileStore(dir)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Set(ctx, "alice@host", fmt.Sprintf("token-%02d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := s.Get(ctx, "alice@host")
	if err != nil || !strings.HasPrefix(got, "token-") || len(got) != len("token-00") {
		t.Fatalf("Get after concurrent Sets = %q, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("want one file, got %d (temporary files left?)", len(entries))
	}
}

// fakeKeyring is a keyring.Keyring in memory; block, when set, makes every
// call wait for it to close; err, when set, fails every call.
type fakeKeyring struct {
	mu    sync.Mutex
	m     map[string]string
	err   error
	block chan struct{}
	calls int
}

func (f *fakeKeyring) wait() error {
	f.mu.Lock()
	f.calls++
	block, err := f.block, f.err
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	if err := f.wait(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, password string) error {
	if err := f.wait(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]string{}
	}
	f.m[service+"/"+user] = password
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	if err := f.wait(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.m, service+"/"+user)
	return nil
}

func (f *fakeKeyring) DeleteAll(string) error { return errors.New("not used") }

func TestOpenWithoutKeyring(t *testing.T) {
	dir := t.TempDir()
	s := Open(context.Background(), dir, false, 0)
	fs, ok := s.(*fileStore)
	if !ok || fs.dir != dir {
		t.Fatalf("Open(useKeyring=false) = %#v, want the file store in %s", s, dir)
	}
	kr := &fakeKeyring{}
	s = open(context.Background(), dir, false, 0, newKeyringStore(service, kr))
	if _, ok := s.(*fileStore); !ok || kr.calls != 0 {
		t.Fatalf("with useKeyring=false the keyring was asked (%d calls) or not skipped: %T", kr.calls, s)
	}
}

func TestOpenFallsBackWhenKeyringHangs(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	kr := &fakeKeyring{block: block}
	dir := t.TempDir()
	s := open(context.Background(), dir, true, 20*time.Millisecond, newKeyringStore(service, kr))
	if _, ok := s.(*fileStore); !ok {
		t.Fatalf("a hanging keyring should give the file store, got %T", s)
	}
	if err := s.Set(context.Background(), "alice@host", token); err != nil {
		t.Fatal(err)
	}
	if w := s.Where("alice@host"); w != filepath.Join(dir, "alice@host") {
		t.Fatalf("Where = %q", w)
	}
}

func TestOpenFallsBackWhenKeyringFails(t *testing.T) {
	kr := &fakeKeyring{err: keyring.ErrUnsupportedPlatform}
	s := open(context.Background(), t.TempDir(), true, time.Second, newKeyringStore(service, kr))
	if _, ok := s.(*fileStore); !ok {
		t.Fatalf("a failing keyring should give the file store, got %T", s)
	}
	if kr.calls != 1 {
		t.Fatalf("want one probe call, got %d", kr.calls)
	}
}

func TestOpenUsesKeyringAndReadsFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A token saved before the keyring was in use.
	if err := NewFileStore(dir).Set(ctx, "old@host", "old-token"); err != nil {
		t.Fatal(err)
	}
	if err := NewFileStore(dir).Set(ctx, "alice@host", "stale"); err != nil {
		t.Fatal(err)
	}
	kr := &fakeKeyring{}
	s := open(ctx, dir, true, time.Second, newKeyringStore(service, kr))
	if _, ok := s.(*chainStore); !ok {
		t.Fatalf("an answering keyring should give the keyring store, got %T", s)
	}
	if w := s.Where("alice@host"); w != "the system keyring" {
		t.Fatalf("Where = %q", w)
	}
	if got, err := s.Get(ctx, "old@host"); err != nil || got != "old-token" {
		t.Fatalf("Get of a file-only secret = %q, %v", got, err)
	}
	if err := s.Set(ctx, "alice@host", token); err != nil {
		t.Fatal(err)
	}
	if kr.m[service+"/alice@host"] != token {
		t.Fatalf("Set did not write the keyring: %v", kr.m)
	}
	if _, err := os.Stat(filepath.Join(dir, "alice@host")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the plain file copy should be gone after Set: %v", err)
	}
	if got, err := s.Get(ctx, "alice@host"); err != nil || got != token {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := s.Get(ctx, "nobody@host"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	for _, key := range []string{"alice@host", "old@host", "alice@host"} {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) after Delete: %v", key, err)
		}
	}
}

func TestChainStoreKeyringErrorOnGet(t *testing.T) {
	ctx := context.Background()
	kr := &fakeKeyring{}
	s := open(ctx, t.TempDir(), true, time.Second, newKeyringStore(service, kr))
	kr.mu.Lock()
	kr.err = errors.New("collection is locked")
	kr.mu.Unlock()
	_, err := s.Get(ctx, "alice@host")
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "collection is locked") {
		t.Fatalf("a keyring failure with no file copy should be reported, got %v", err)
	}
}

func TestKeyringStoreHonoursContext(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	s := newKeyringStore(service, &fakeKeyring{block: block})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "alice@host"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v, want context.Canceled", err)
	}
	if err := s.Set(ctx, "alice@host", token); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set = %v, want context.Canceled", err)
	}
}

func TestKeyringStoreSystem(t *testing.T) {
	// go-keyring's own in-memory provider stands in for the system keyring,
	// so this exercises NewKeyringStore and the adapter to go-keyring.
	keyring.MockInit()
	ctx := context.Background()
	s := NewKeyringStore("fedimarks-test")
	if _, err := s.Get(ctx, "alice@host"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	if err := s.Set(ctx, "alice@host", token); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "alice@host"); err != nil || got != token {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got, err := keyring.Get("fedimarks-test", "alice@host"); err != nil || got != token {
		t.Fatalf("not stored under the service name: %q, %v", got, err)
	}
	for i := 0; i < 2; i++ {
		if err := s.Delete(ctx, "alice@host"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	keyring.MockInitWithError(errors.New("no session bus"))
	err := s.Set(ctx, "alice@host", token)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("Set with a failing keyring: %v", err)
	}
	if w := s.Where("alice@host"); w != "the system keyring" {
		t.Fatalf("Where = %q", w)
	}
}
