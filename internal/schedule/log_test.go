package schedule

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogRotatesAndKeepsTheNewestLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "schedule.log")
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const max = 200
	l, err := OpenLog(path, max, 3, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := 0; i < n; i++ {
		// Lines arrive in pieces, as a program writes them.
		fmt.Fprintf(l, "line %03d ", i)
		fmt.Fprintf(l, "of the run\n")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "schedule.log schedule.log.1 schedule.log.2 schedule.log.3" {
		t.Fatalf("log directory holds %s, want the log and 3 old ones", got)
	}
	var lines []string
	for _, name := range []string{"schedule.log.3", "schedule.log.2", "schedule.log.1", "schedule.log"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			t.Fatal(err)
		}
		// A file passes the limit by one line at most.
		lineLen := len("2026-03-01T10:00:00Z line 000 of the run\n")
		if len(b) > max+lineLen || len(b) == 0 {
			t.Errorf("%s holds %d bytes, want at most %d", name, len(b), max+lineLen)
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	// The kept lines are the newest, whole, each stamped, in order.
	last := n - len(lines)
	for i, line := range lines {
		want := fmt.Sprintf("2026-03-01T10:00:00Z line %03d of the run", last+i)
		if line != want {
			t.Fatalf("kept line %d is %q, want %q", i, line, want)
		}
	}
	if last == 0 {
		t.Fatal("nothing was rotated away")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log mode: %v %v, want 0600", st.Mode(), err)
	}
}

func TestLogEndsAnUnfinishedLineOnClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	l, err := OpenLog(path, LogMaxSize, LogKeep, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(l, "progress 10%")
	l.Close()
	l, err = OpenLog(path, LogMaxSize, LogKeep, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(l, "next run\n")
	l.Close()
	b, _ := os.ReadFile(path)
	want := "2026-01-02T03:04:05Z progress 10%\n2026-01-02T03:04:06Z next run\n"
	if string(b) != want {
		t.Fatalf("log holds %q, want %q", b, want)
	}
}
