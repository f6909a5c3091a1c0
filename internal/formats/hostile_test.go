package formats

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// padded is an archive member made of head, n bytes of fill, then tail,
// written as it is compressed, never held whole.
type padded struct {
	name, head string
	fill       byte
	n          int64
	tail       string
}

func (p padded) size() int64 { return int64(len(p.head)) + p.n + int64(len(p.tail)) }

func (p padded) writeTo(w io.Writer) error {
	if _, err := io.WriteString(w, p.head); err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte{p.fill}, 1<<20)
	for left := p.n; left > 0; {
		k := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		left -= k
	}
	_, err := io.WriteString(w, p.tail)
	return err
}

// paddedZip writes a zip archive holding m (deflated at the fastest
// level: a bomb of hundreds of MiB is made in a fraction of a second).
func paddedZip(t testing.TB, m padded) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create(m.name)
	if err == nil {
		err = m.writeTo(w)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// paddedTarGz writes a tar.gz archive of the members. Each piece is a
// gzip stream of its own (gzip readers read a concatenation as one
// stream), so that a member of GiBs is written in an instant: one MiB of
// fill is compressed once and repeated.
func paddedTarGz(t testing.TB, members ...padded) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive.tar.gz")
	var out bytes.Buffer
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	for _, m := range members {
		var hdr bytes.Buffer
		if err := tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: m.size(), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		out.Write(gz(append(hdr.Bytes(), m.head...)))
		mib := gz(bytes.Repeat([]byte{m.fill}, MiB))
		for i := int64(0); i < m.n/MiB; i++ {
			out.Write(mib)
		}
		pad := (512 - m.size()%512) % 512
		out.Write(gz(append(append(bytes.Repeat([]byte{m.fill}, int(m.n%MiB)), m.tail...), make([]byte, pad)...)))
	}
	out.Write(gz(make([]byte, 1024))) // the end of the archive
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// peakHeap runs fn and returns the most heap in use (live and garbage not
// yet collected) seen while it ran, sampled every millisecond.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	return <-peak
}

const MiB = 1 << 20

// TestReadPaddedArchivesInLinearTime reads bookmarks.json padded with
// blanks between its items: 200 MiB in a zip and in a tar.gz (a few
// hundred KB each), 32 MiB in a plain file. encoding/json's Decoder took
// time quadratic in the padding (a 261 KB zip of blanks took 14 minutes,
// this zip more than 2) and memory as large as it; the reading must take
// well under the 20 s allowed here (about 0.5 s on the 2-core machine,
// see BenchmarkReadPaddedZip) and little memory.
func TestReadPaddedArchivesInLinearTime(t *testing.T) {
	const a, b = "https://a.example/users/ann/statuses/1", "https://b.example/@bo/2"
	collection := padded{name: "archive/bookmarks.json", head: `{"type":"OrderedCollection","orderedItems":["` + a + `",` + "\n", fill: ' ', n: 200 * MiB, tail: "\r\n\t\"" + b + `"]}`}
	array := padded{name: "bookmarks.json", head: `[{"status":{"uri":"` + b + `"}},`, fill: '\n', n: 200 * MiB, tail: `{"status":{"uri":"` + a + `"}}` + strings.Repeat(" ", 1000) + `]`}
	plain := func(t testing.TB, m padded) string {
		path := filepath.Join(t.TempDir(), "bookmarks.json")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m.n = 32 * MiB
		if err := m.writeTo(f); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct {
		name string
		make func(testing.TB) string
	}{
		{"zip collection", func(t testing.TB) string { return paddedZip(t, collection) }},
		{"zip array", func(t testing.TB) string { return paddedZip(t, array) }},
		{"tar.gz collection", func(t testing.TB) string { return paddedTarGz(t, collection) }},
		{"plain array", func(t testing.TB) string { return plain(t, array) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t)
			var res Result
			var err error
			start := time.Now()
			heap := peakHeap(func() {
				res, err = readWithin(t, 60*time.Second, func() (Result, error) { return ReadFile(t.Context(), path) })
			})
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != 2 || res.Items[0].URI == res.Items[1].URI || len(res.Problems) != 0 {
				t.Fatalf("items %+v, problems %v", res.Items, res.Problems)
			}
			if took > 20*time.Second {
				t.Errorf("reading the blanks took %v", took)
			}
			if heap > 100*MiB {
				t.Errorf("reading the blanks used %d MiB of heap", heap/MiB)
			}
			t.Logf("%v, %d MiB of heap at most", took, heap/MiB)
		})
	}
}

// readWithin runs read, failing the test if it has not returned after
// limit (it is then left running: the test cannot stop it).
func readWithin(t *testing.T, limit time.Duration, read func() (Result, error)) (Result, error) {
	t.Helper()
	type out struct {
		res Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := read()
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		return o.res, o.err
	case <-time.After(limit):
		t.Fatalf("the reading did not return within %v", limit)
		return Result{}, nil
	}
}

// TestReadBombsRefusedInLittleMemory reads archives whose bookmarks.json
// grows past the 256 MiB allowed from a few hundred KB: blanks, one
// endless string, endless nesting. Each is refused with a message naming
// the archive and the member, and the heap stays far below the 807 MB
// a 14 MB zip cost (200 MB allowed here for a noisy machine; the
// figure is about 5 MiB).
func TestReadBombsRefusedInLittleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 1 GiB")
	}
	const over = maxArchiveEntry + 16*MiB
	for _, c := range []struct {
		name string
		make func(testing.TB) string
		want string
	}{
		{"zip of blanks", func(t testing.TB) string {
			return paddedZip(t, padded{name: "archive/bookmarks.json", head: `{"orderedItems":[`, fill: ' ', n: over})
		}, "archive.zip!/archive/bookmarks.json is larger than 256 MiB"},
		{"zip of one string", func(t testing.TB) string {
			return paddedZip(t, padded{name: "bookmarks.json", head: `{"orderedItems":["https://a.example/`, fill: 'a', n: over})
		}, "archive.zip!/bookmarks.json is larger than 256 MiB"},
		{"tar.gz of nesting", func(t testing.TB) string {
			return paddedTarGz(t, padded{name: "archive/bookmarks.json", head: `[`, fill: '[', n: over})
		}, "archive.tar.gz!/archive/bookmarks.json is larger than 256 MiB"},
		{"tar.gz of blanks", func(t testing.TB) string {
			return paddedTarGz(t, padded{name: "archive/bookmarks.json", head: `[` + "\n", fill: '\n', n: over})
		}, "archive.tar.gz!/archive/bookmarks.json is larger than 256 MiB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t)
			var err error
			heap := peakHeap(func() {
				_, err = readWithin(t, 120*time.Second, func() (Result, error) { return ReadFile(t.Context(), path) })
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if heap > 200*MiB {
				t.Errorf("refusing the bomb used %d MiB of heap", heap/MiB)
			}
			t.Logf("%d MiB of heap at most", heap/MiB)
		})
	}
}

// endless is an input that never ends: head, then fill for ever.
type endless struct {
	head string
	fill []byte
	at   int // where in fill the next read starts
}

func (e *endless) Read(p []byte) (int, error) {
	if e.head != "" {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], e.fill[e.at:])
		n += k
		e.at = (e.at + k) % len(e.fill)
	}
	return n, nil
}

// TestReadStopsWhenCancelled gives each reader an input that never ends
// and cancels the context (as Ctrl-C and SIGTERM do): the reading must
// stop within a second (5 s allowed here) with the context's error.
func TestReadStopsWhenCancelled(t *testing.T) {
	for _, c := range []struct {
		name string
		in   *endless
	}{
		{"bookmarks.json", &endless{head: `{"orderedItems":[`, fill: []byte(`"https://a.example/users/ann/statuses/1", `)}},
		{"export.json", &endless{head: `[`, fill: []byte(" \n")}},
		{"bookmarks.csv", &endless{fill: []byte("https://a.example/users/ann/statuses/1\n")}},
		{"export.jsonl", &endless{fill: []byte(`{"uri":"https://a.example/users/ann/statuses/1"}` + "\n")}},
		{"bookmarks.html", &endless{head: "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL>", fill: []byte(`<DT><A HREF="https://a.example/users/ann/statuses/1">x</A>` + "\n")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stoppedWithin(t, 50*time.Millisecond, func(ctx context.Context) (Result, error) { return Read(ctx, c.name, c.in) })
		})
	}
	// A tar.gz whose bookmarks.json comes after a big media file, as in a
	// real account archive: passing over the media is interrupted too.
	path := paddedTarGz(t, padded{name: "archive/media_attachments/files/1/original/a.mp4", n: 4 << 30},
		padded{name: "archive/bookmarks.json", head: `{"orderedItems":[]}`})
	stoppedWithin(t, 50*time.Millisecond, func(ctx context.Context) (Result, error) { return ReadFile(ctx, path) })
}

// stoppedWithin runs read with a context cancelled after wait, and checks
// that it returns the context's error within a second of it (5 s allowed
// here for a noisy machine).
func stoppedWithin(t *testing.T, wait time.Duration, read func(context.Context) (Result, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(wait, cancel)
	start := time.Now()
	_, err := readWithin(t, 30*time.Second, func() (Result, error) { return read(ctx) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the context's", err)
	}
	if took := time.Since(start) - wait; took > 5*time.Second {
		t.Errorf("stopped %v after the cancellation", took)
	}
}

// TestReadRefusesFloodsOfRows reads files of millions of tiny rows, which
// a few KB of zip make: every row, good or bad, costs memory (4 million
// rows of "0" took 1.8 GB and 31 s). A file is refused once its bad rows
// pass 10,000 while outnumbering the good ones, and once it passes a
// million rows, with the first problem named; a file with fewer bad rows
// than good is read, its bad rows reported.
func TestReadRefusesFloodsOfRows(t *testing.T) {
	const uri = "https://a.example/users/ann/statuses/1"
	zeros := paddedZip(t, padded{name: "bookmarks.json", head: `{"orderedItems":[` + strings.Repeat(`0,`, 4<<20) + `0]}`})
	var err error
	heap := peakHeap(func() { _, err = ReadFile(t.Context(), zeros) })
	want := `archive.zip!/bookmarks.json: 10,001 rows are not post URLs, and only 0 are (first: ` + zeros + `!/bookmarks.json:item 1: neither a URI nor an object: "0")`
	if err == nil || !strings.HasPrefix(err.Error(), zeros+"!/bookmarks.json: 10,001 rows") || !strings.Contains(err.Error(), want) {
		t.Errorf("zip of zeros: %v, want %q", err, want)
	}
	if heap > 200*MiB {
		t.Errorf("zip of zeros: %d MiB of heap", heap/MiB)
	}
	for _, c := range []struct {
		name, input string
		err         string // "" to read it
		problems    int
	}{
		{"bookmarks.csv", strings.Repeat("x\n", 4<<20), `bookmarks.csv: 10,001 rows are not post URLs, and only 0 are (first: bookmarks.csv:1: "x" is not an http(s) URL)`, 0},
		{"bookmarks.csv", strings.Repeat(uri+"\n", 5) + strings.Repeat("x\n", 20000), "bookmarks.csv: 10,001 rows are not post URLs, and only 5 are (first: bookmarks.csv:6:", 0},
		{"bookmarks.csv", strings.Repeat(uri+"\n", 20000) + strings.Repeat("x\n", 15000), "", 15000},
		{"export.jsonl", strings.Repeat("{}\n", 20000), "export.jsonl: 10,001 rows are not post URLs", 0},
		{"export.json", "[" + strings.Repeat(`{},`, 20000) + "{}]", "export.json: 10,001 rows are not post URLs", 0},
		{"bookmarks.html", "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n" + strings.Repeat(`<DT><A HREF="x">x</A>`+"\n", 20000), "bookmarks.html: 10,001 rows are not post URLs", 0},
	} {
		res, err := Read(t.Context(), c.name, strings.NewReader(c.input))
		switch {
		case c.err == "" && (err != nil || len(res.Problems) != c.problems):
			t.Errorf("%s: %v, %d problems, want %d", c.name, err, len(res.Problems), c.problems)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
	defer func(n int) { maxRows = n }(maxRows)
	maxRows = 1000
	_, err = Read(t.Context(), "bookmarks.csv", strings.NewReader(strings.Repeat(uri+"\n", 1001)))
	if want := "bookmarks.csv: more than 1,000 rows: fedimarks reads at most 1,000 from one file (split the file"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("rows past the limit: %v, want %q", err, want)
	}
	if _, err = Read(t.Context(), "bookmarks.csv", strings.NewReader(strings.Repeat(uri+"\n", 1000))); err != nil {
		t.Errorf("rows at the limit: %v", err)
	}
}

// BenchmarkReadPaddedZip reads a zip whose bookmarks.json holds two items
// and 32 MiB of blanks between them (MB/s of inflated JSON), and reports
// the most heap in use (MB-peak-heap).
func BenchmarkReadPaddedZip(b *testing.B) {
	const a, c = "https://a.example/users/ann/statuses/1", "https://b.example/@bo/2"
	m := padded{name: "archive/bookmarks.json", head: `{"orderedItems":["` + a + `",`, fill: ' ', n: 32 * MiB, tail: `"` + c + `"]}`}
	path := paddedZip(b, m)
	b.SetBytes(m.size())
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if res, err := ReadFile(b.Context(), path); err != nil || len(res.Items) != 2 {
				b.Fatalf("%v, %d items", err, len(res.Items))
			}
		}))
	}
	b.ReportMetric(float64(peak)/MiB, "MB-peak-heap")
}

// BenchmarkRefuseZipBomb reads a 300 KB zip whose bookmarks.json inflates
// to 272 MiB of blanks, refused at 256 MiB, and reports the most heap in
// use (MB-peak-heap).
func BenchmarkRefuseZipBomb(b *testing.B) {
	path := paddedZip(b, padded{name: "archive/bookmarks.json", head: `{"orderedItems":[`, fill: ' ', n: maxArchiveEntry + 16*MiB})
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if _, err := ReadFile(b.Context(), path); err == nil || !strings.Contains(err.Error(), "larger than 256 MiB") {
				b.Fatalf("%v, want a refusal", err)
			}
		}))
	}
	b.ReportMetric(float64(peak)/MiB, "MB-peak-heap")
}
