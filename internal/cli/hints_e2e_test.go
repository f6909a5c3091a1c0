package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestImportJobHintReplacesTheRequests: a big import asks the
// destination's software before its question; when that request is
// refused, the job's next step (log in, then resume the job) is what the
// person reads, not the one written for the single request.
func TestImportJobHintReplacesTheRequests(t *testing.T) {
	f := newFediverse(t)
	f.login(t, f.bob)
	var b strings.Builder
	for i := 0; i < 1001; i++ {
		fmt.Fprintf(&b, "https://far.example/users/x/statuses/%d\n", i)
	}
	file := writeFile(t, "bookmarks.csv", b.String())
	f.b.FailNext(1, 401, 0) // the instance request
	r := mustRun(t, ExitAuth, f.home, "", "import", file, "--to", f.bob.Handle())
	want := "(log in again: fedimarks login " + f.b.URL() + "; then resume with: fedimarks import " + file + " --to " + f.bob.Handle() + ")"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}
