package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxNameLen keeps escaped file names under the 255-byte limit of common
// file systems, with room for the temporary-file prefix.
const maxNameLen = 200

// NewFileStore returns a Store that keeps each secret in its own file in
// dir, with mode 0600, named after the key escaped so that it cannot leave
// dir: "alice@127.0.0.1:8080" is kept in "alice@127.0.0.1%3A8080". Set
// creates dir with mode 0700, and tightens it to 0700 if it exists with
// wider permissions; writes are atomic (a 0600 temporary file renamed over
// the old one). NewFileStore itself touches nothing on disk.
func NewFileStore(dir string) Store {
	return &fileStore{dir: dir}
}

type fileStore struct {
	dir string
}

// fileName returns the file name under which a file store keeps key: bytes
// other than ASCII letters, digits, '-', '_', '@' and '.' are written %XX,
// as is a leading '.', so a name never holds a path separator, is never "."
// or "..", and never hides. "alice@127.0.0.1:8080" becomes
// "alice@127.0.0.1%3A8080". Keys that differ only in letter case map to
// names that collide on case-insensitive file systems.
func fileName(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		safe := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '@' || (c == '.' && i > 0)
		if safe {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() > maxNameLen {
		return "", fmt.Errorf("secret key %.40q... too long", key)
	}
	return b.String(), nil
}

func (s *fileStore) path(key string) (string, error) {
	name, err := fileName(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

func (s *fileStore) Get(ctx context.Context, key string) (string, error) {
	p, err := s.path(key)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read secret %s: %w", p, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return string(data), nil
}

func (s *fileStore) Set(ctx context.Context, key, secret string) (err error) {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := privateDir(s.dir); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; the leading '.' keeps it apart from
	// escaped keys, which never start with one.
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("save secret: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("save secret: %w", err)
	}
	if _, err := tmp.WriteString(secret); err != nil {
		return fmt.Errorf("save secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save secret: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("save secret: %w", err)
	}
	syncDir(s.dir)
	return nil
}

func (s *fileStore) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete secret: %w", err)
	}
	return nil
}

func (s *fileStore) Where(key string) string {
	p, err := s.path(key)
	if err != nil {
		return s.dir
	}
	return p
}

// privateDir creates dir with mode 0700, or tightens it to 0700 when it
// exists with permissions for the group or others.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secrets directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("create secrets directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("secrets directory %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("protect secrets directory: %w", err)
		}
	}
	return nil
}

// syncDir flushes a rename to disk where the system allows it; failure only
// costs durability after a crash, never the secret, so it is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
