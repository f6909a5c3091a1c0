package formats

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedimarks/fedimarks"
)

// TestReadFileAllocatesLittlePerRow: reading a bookmarks.csv allocates,
// beyond each row's item (168 bytes), its texts and the parse of its
// address, a compact copy of the row while it reads, not a second item
// (both are held when the rows are joined: the whole item twice was 32
// MB more at 200,000 rows, the peak of a verify). All told: under 600
// bytes a row (686 with the second item).
func TestReadFileAllocatesLittlePerRow(t *testing.T) {
	const rows = 50_000
	var b strings.Builder
	for i := range rows {
		fmt.Fprintf(&b, "https://a.example/users/a/statuses/%d\n", 100000+i)
	}
	path := filepath.Join(t.TempDir(), "bookmarks.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := ReadFile(context.Background(), path)
	runtime.ReadMemStats(&after)
	if err != nil || len(res.Items) != rows {
		t.Fatalf("%d rows, %v", len(res.Items), err)
	}
	if perRow := (after.TotalAlloc - before.TotalAlloc) / rows; perRow > 600 {
		t.Errorf("reading allocates %d bytes a row, want <= 600", perRow)
	}
}

// TestReadFileRowsWriteOrder: ReadFileRows keeps the rows as read, with
// Len and WriteOrder giving what ReadFile's Items sorted by Order give,
// for a file listed newest first (bookmarks.csv) and one listed oldest
// first (an ActivityPub collection), twice over; and it allocates no item
// array (under 480 bytes a row where ReadFile needs about 560).
func TestReadFileRowsWriteOrder(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	const rows = 20_000
	for i := range rows {
		fmt.Fprintf(&csv, "https://a.example/users/a/statuses/%d\n", 100000+i)
	}
	files := map[string]string{
		"bookmarks.csv":  csv.String() + "not a url\n",
		"bookmarks.json": `{"type":"OrderedCollection","orderedItems":["https://a.example/users/ann/statuses/1","https://b.example/users/bo/statuses/2"]}`,
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		full, err := ReadFile(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		kept, err := ReadFileRows(context.Background(), path)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if kept.Items != nil || kept.Len() != len(full.Items) || kept.Format != full.Format || len(kept.Problems) != len(full.Problems) {
			t.Fatalf("%s: %d rows kept (items %v), %d read", name, kept.Len(), kept.Items != nil, len(full.Items))
		}
		want := slices.Clone(full.Items)
		slices.SortFunc(want, func(a, b fedimarks.ImportItem) int { return a.Order - b.Order })
		for range 2 {
			got := slices.Collect(kept.WriteOrder())
			if !slices.EqualFunc(got, want, func(a, b fedimarks.ImportItem) bool { return reflect.DeepEqual(a, b) }) {
				t.Fatalf("%s: write order differs: first %+v, want %+v", name, got[0], want[0])
			}
		}
		if got := slices.Collect(full.WriteOrder()); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the joined result's write order differs", name)
		}
		if perRow := (after.TotalAlloc - before.TotalAlloc) / uint64(kept.Len()); name == "bookmarks.csv" && perRow > 480 {
			t.Errorf("ReadFileRows allocates %d bytes a row, want <= 480", perRow)
		}
	}
}

// TestKeptRowKeepsEveryField: a row kept by a reader gives back every
// field of its item, each set alone (reflection sets them all, so a field
// added to fedimarks.ImportItem is checked too).
func TestKeptRowKeepsEveryField(t *testing.T) {
	typ := reflect.TypeFor[fedimarks.ImportItem]()
	for i := range typ.NumField() {
		var it fedimarks.ImportItem
		f := reflect.ValueOf(&it).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Int:
			f.SetInt(7)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[time.Time]() {
				t.Fatalf("field %s: a struct this test cannot set", typ.Field(i).Name)
			}
			f.Set(reflect.ValueOf(time.Unix(1, 0)))
		default:
			t.Fatalf("field %s: a kind this test cannot set", typ.Field(i).Name)
		}
		if got := keep(it).item(); !reflect.DeepEqual(got, it) {
			t.Errorf("field %s lost: %+v, want %+v", typ.Field(i).Name, got, it)
		}
	}
}
