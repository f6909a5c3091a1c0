package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestIsBusyReadsTheDriversCode: a write that meets another connection's
// exclusive lock fails with the driver's SQLITE_BUSY, which isBusy knows
// by its code, wrapped or not; other failures are not busy.
func TestIsBusyReadsTheDriversCode(t *testing.T) {
	ctx := context.Background()
	name := "file:" + filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", name+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", name+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, busy := other.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	if busy == nil || !isBusy(busy) || !isBusy(fmt.Errorf("open archive: %w", busy)) {
		t.Fatalf("a write under another's exclusive lock: %v, isBusy %v", busy, busy != nil && isBusy(busy))
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	_, other2 := other.ExecContext(ctx, "INSERT INTO nosuchtable VALUES (1)")
	for _, err := range []error{other2, errors.New("disk full")} {
		if err == nil || isBusy(err) {
			t.Errorf("%v: busy", err)
		}
	}
}
