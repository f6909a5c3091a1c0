package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	fedimarks "github.com/fedimarks/fedimarks"
)

// TestCommandLineJobs: the import jobs a command started are listed,
// newest first, those a page job started are not, and one the page only
// retried (its spec names the job) stays the command's.
func TestCommandLineJobs(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var ids []int64
	for k := range 3 {
		j, err := a.CreateJob(ctx, fedimarks.ImportJob{Key: fmt.Sprint("key", k), Destination: "bob@b.example", Inputs: []string{"f.csv"}},
			[]fedimarks.JobItem{{URI: "https://a.example/1"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	page, err := a.CreatePageJob(ctx, "move", []byte(`{"kind":"move"}`), "r", now)
	if err != nil {
		t.Fatal(err)
	}
	a.SetPageJobImport(ctx, page.ID, ids[1])
	retry, err := a.CreatePageJob(ctx, "move", []byte(fmt.Sprintf(`{"kind":"move","job":%d}`, ids[2])), "r", now)
	if err != nil {
		t.Fatal(err)
	}
	a.SetPageJobImport(ctx, retry.ID, ids[2])
	js, err := a.CommandLineJobs(ctx, 10)
	if err != nil || len(js) != 2 || js[0].ID != ids[2] || js[1].ID != ids[0] || js[0].Inputs[0] != "f.csv" {
		t.Errorf("command-line jobs %+v (%v), want %d then %d", js, err, ids[2], ids[0])
	}
	for id, want := range map[int64]bool{ids[0]: true, ids[1]: false, ids[2]: true, 99: false} {
		j, err := a.CommandLineJob(ctx, id)
		if err != nil || (j != nil) != want || j != nil && j.ID != id {
			t.Errorf("job %d: %+v %v, want found %v", id, j, err, want)
		}
	}
}
