// Package secrets keeps access tokens, and nothing else, in the system
// keyring or in private files. A secret never appears in an error, a log
// line or any output of this package; keys (account handles such as
// "alice@example.social") may.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// ErrNotFound is returned (wrapped) by Store.Get when no secret is stored
// under the key.
var ErrNotFound = errors.New("secret not found")

// Store keeps secrets by key. Implementations are safe for concurrent use by
// one process.
type Store interface {
	// Get returns the secret stored under key, or an error wrapping
	// ErrNotFound when there is none.
	Get(ctx context.Context, key string) (string, error)
	// Set stores secret under key, replacing any previous one.
	Set(ctx context.Context, key, secret string) error
	// Delete removes the secret under key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Where describes for a person where Set puts the secret for key: "the
	// system keyring" or a file path.
	Where(key string) string
}

// service is the keyring service name under which Open keeps secrets.
const service = "fedimarks"

// probeKey is looked up to learn whether the keyring answers; it is never
// written.
const probeKey = "fedimarks keyring probe"

// DefaultProbeTimeout is how long Open waits for the keyring to answer when
// given no timeout.
const DefaultProbeTimeout = 2 * time.Second

// Open returns the Store to use. With useKeyring, it first asks the system
// keyring for a secret that does not exist, waiting at most timeout (0 means
// DefaultProbeTimeout): the Secret Service over D-Bus may hang when no
// session bus answers. When the keyring answers, the store writes to the
// keyring and reads the keyring first, then the files in dir, so secrets
// saved before the keyring was used are still found (and Set removes the
// file copy). Otherwise, or without useKeyring, it is NewFileStore(dir).
func Open(ctx context.Context, dir string, useKeyring bool, timeout time.Duration) Store {
	return open(ctx, dir, useKeyring, timeout, newKeyringStore(service, systemKeyring{}))
}

// open is Open with the keyring given, so tests can make it hang or fail.
func open(ctx context.Context, dir string, useKeyring bool, timeout time.Duration, kr *keyringStore) Store {
	files := NewFileStore(dir)
	if !useKeyring {
		return files
	}
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := kr.Get(pctx, probeKey); err != nil && !errors.Is(err, ErrNotFound) {
		return files
	}
	return &chainStore{keyring: kr, files: files}
}

// chainStore writes to the keyring and reads the keyring, then the files.
type chainStore struct {
	keyring Store
	files   Store
}

func (c *chainStore) Get(ctx context.Context, key string) (string, error) {
	secret, kerr := c.keyring.Get(ctx, key)
	if kerr == nil {
		return secret, nil
	}
	secret, ferr := c.files.Get(ctx, key)
	if ferr == nil {
		return secret, nil
	}
	if errors.Is(kerr, ErrNotFound) {
		return "", ferr
	}
	return "", kerr
}

func (c *chainStore) Set(ctx context.Context, key, secret string) error {
	if err := c.keyring.Set(ctx, key, secret); err != nil {
		return err
	}
	// The keyring holds it now: no plain copy should stay behind.
	return c.files.Delete(ctx, key)
}

func (c *chainStore) Delete(ctx context.Context, key string) error {
	return errors.Join(c.keyring.Delete(ctx, key), c.files.Delete(ctx, key))
}

func (c *chainStore) Where(key string) string { return c.keyring.Where(key) }

// NewKeyringStore returns a Store kept in the system keyring (macOS
// Keychain, Windows Credential Manager, the Secret Service on Linux and
// BSD) under the given service name, one entry a key. Each call waits for
// the keyring or for ctx, whichever is first; a call abandoned by ctx
// finishes in the background when the keyring answers.
func NewKeyringStore(service string) Store {
	return newKeyringStore(service, systemKeyring{})
}

func newKeyringStore(service string, kr keyring.Keyring) *keyringStore {
	return &keyringStore{service: service, kr: kr}
}

// keyringStore is a Store over a keyring.Keyring.
type keyringStore struct {
	service string
	kr      keyring.Keyring
}

// call runs f, which may block without a context, and waits for it or ctx.
func call[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned f does not block forever
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (s *keyringStore) Get(ctx context.Context, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	secret, err := call(ctx, func() (string, error) { return s.kr.Get(s.service, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("read %s from the system keyring: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read %s from the system keyring: %w", key, err)
	}
	return secret, nil
}

func (s *keyringStore) Set(ctx context.Context, key, secret string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Set(s.service, key, secret) })
	if err != nil {
		return fmt.Errorf("save %s in the system keyring: %w", key, err)
	}
	return nil
}

func (s *keyringStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Delete(s.service, key) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete %s from the system keyring: %w", key, err)
	}
	return nil
}

func (s *keyringStore) Where(string) string { return "the system keyring" }

// systemKeyring is the keyring of the operating system, through go-keyring.
type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (systemKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }
func (systemKeyring) DeleteAll(service string) error    { return keyring.DeleteAll(service) }

// checkKey rejects the empty key, which names nothing.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty secret key")
	}
	return nil
}
