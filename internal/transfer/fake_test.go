package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/mastodon"
)

// memJournal is an in-memory Journal with the semantics of
// internal/sqlite's import jobs, for unit tests of the engine; the
// contract suite (journaltest) holds it to them.
type memJournal struct {
	// hideJobs makes FindJob miss this many times, as when another run
	// creates the job between a look and a write.
	hideJobs int
	mu       sync.Mutex
	jobs     []*fedimarks.ImportJob
	items    map[int64][]*fedimarks.JobItem
	listings map[int64]fedimarks.JobListing
	nextID   int64
}

func newMemJournal() *memJournal { return &memJournal{items: map[int64][]*fedimarks.JobItem{}} }

func (m *memJournal) FindJob(ctx context.Context, key string) (*fedimarks.ImportJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hideJobs > 0 {
		m.hideJobs--
		return nil, nil
	}
	for _, j := range m.jobs {
		if j.Key == key {
			c := *j
			return &c, nil
		}
	}
	return nil, nil
}

// knownOutcome says whether o may be stored: pending or a final outcome.
func knownOutcome(o fedimarks.Outcome) bool {
	return o == fedimarks.Pending || contains(fedimarks.Outcomes, o)
}

func (m *memJournal) CreateJob(ctx context.Context, job fedimarks.ImportJob, items []fedimarks.JobItem) (*fedimarks.ImportJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if j.Key == job.Key {
			return nil, fmt.Errorf("create job: job %d: %w", j.ID, fedimarks.ErrJobExists)
		}
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b fedimarks.JobItem) int { return a.Seq - b.Seq })
	for _, it := range sorted {
		if it.Outcome != "" && !knownOutcome(it.Outcome) {
			return nil, fedimarks.Errorf(fedimarks.EInvalid, "item %s: unknown outcome %q", it.URI, it.Outcome)
		}
	}
	m.nextID++
	job.ID = m.nextID
	m.jobs = append(m.jobs, &job)
	for i, it := range sorted {
		m.nextID++
		it.ID, it.Seq = m.nextID, i
		if it.Outcome == "" {
			it.Outcome = fedimarks.Pending
		}
		m.items[job.ID] = append(m.items[job.ID], &it)
	}
	c := job
	return &c, nil
}

func (m *memJournal) AddJobItems(ctx context.Context, jobID int64, items []fedimarks.JobItem) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	have := map[string]bool{}
	for _, it := range m.items[jobID] {
		have[it.URI] = true
	}
	n := 0
	for _, it := range items {
		if have[it.URI] {
			continue
		}
		have[it.URI] = true
		m.nextID++
		it.ID, it.Seq = m.nextID, len(m.items[jobID])
		if it.Outcome == "" {
			it.Outcome = fedimarks.Pending
		}
		m.items[jobID] = append(m.items[jobID], &it)
		n++
	}
	return n, nil
}

func (m *memJournal) JobItems(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) ([]fedimarks.JobItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []fedimarks.JobItem
	for _, it := range m.items[jobID] {
		if len(outcomes) == 0 || contains(outcomes, it.Outcome) {
			out = append(out, *it)
		}
	}
	return out, nil
}

func contains(os []fedimarks.Outcome, o fedimarks.Outcome) bool {
	return slices.Contains(os, o)
}

func (m *memJournal) ResetOutcomes(ctx context.Context, jobID int64, outcomes ...fedimarks.Outcome) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, it := range m.items[jobID] {
		if it.Outcome != fedimarks.Pending && (len(outcomes) == 0 || contains(outcomes, it.Outcome)) {
			it.Outcome, it.Detail, it.InFlight = fedimarks.Pending, "", false
			n++
		}
	}
	return n, nil
}

// find returns the item with the id, or an ENotFound error.
func (m *memJournal) find(id int64) (*fedimarks.JobItem, error) {
	for _, its := range m.items {
		for _, it := range its {
			if it.ID == id {
				return it, nil
			}
		}
	}
	return nil, fedimarks.Errorf(fedimarks.ENotFound, "no import item %d", id)
}

func (m *memJournal) MarkInFlight(ctx context.Context, itemID int64, destID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	it, err := m.find(itemID)
	if err != nil {
		return err
	}
	it.InFlight, it.DestID = true, destID
	it.Attempts++
	return nil
}

func (m *memJournal) SetOutcome(ctx context.Context, itemID int64, o fedimarks.Outcome, detail, destID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !knownOutcome(o) {
		return fedimarks.Errorf(fedimarks.EInvalid, "set outcome of import item %d: unknown outcome %q", itemID, o)
	}
	it, err := m.find(itemID)
	if err != nil {
		return err
	}
	it.Outcome, it.Detail, it.InFlight = o, detail, false
	if destID != "" {
		it.DestID = destID
	}
	return nil
}

func (m *memJournal) SetJobItemPostURI(ctx context.Context, itemID int64, uri string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, err := m.find(itemID)
	if err != nil {
		return err
	}
	it.PostURI = uri
	return nil
}

func (m *memJournal) JobListing(ctx context.Context, jobID int64) (*fedimarks.JobListing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.listings[jobID]
	if !ok {
		return nil, nil
	}
	return &l, nil
}

func (m *memJournal) SaveJobListing(ctx context.Context, jobID int64, l fedimarks.JobListing) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listings == nil {
		m.listings = map[int64]fedimarks.JobListing{}
	}
	l.Bookmarks = append([]fedimarks.ListedBookmark(nil), l.Bookmarks...)
	m.listings[jobID] = l
	return nil
}

func (m *memJournal) jobCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.jobs)
}

// apiErr imitates internal/mastodon's error answers: errors.As reads it
// as the *fedimarks.RemoteError the adapter makes of the status and
// message.
type apiErr struct {
	status int
	msg    string
}

func (e *apiErr) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

func (e *apiErr) As(target any) bool {
	re, ok := target.(**fedimarks.RemoteError)
	if ok {
		*re = mastodon.Remote(&mastodon.APIError{StatusCode: e.status, Message: e.msg}).(*fedimarks.RemoteError)
		(*re).Err = e
	}
	return ok
}

// netErr imitates a connection failure after the client's retries.
type netErr struct{}

func (netErr) Error() string { return "dial tcp: connection refused" }

func (e netErr) As(target any) bool {
	re, ok := target.(**fedimarks.RemoteError)
	if ok {
		*re = &fedimarks.RemoteError{Kind: fedimarks.KindUnreachable, Err: e}
	}
	return ok
}

// post is a post the fake destination can find.
type post struct {
	uri, url   string
	localID    string // id on the destination
	visibility string
	deleted    bool
	hidden     bool // exists but not visible to the account (resolve empty, bookmark 404)
}

// fakeDest is a destination account: Writer and Lister, counting requests.
type fakeDest struct {
	mu         sync.Mutex
	host       string
	posts      map[string]*post // by uri and by url
	byID       map[string]*post
	bookmarks  []string // local ids in bookmark order (oldest first)
	bookmarked map[string]bool
	resolves   int
	posts404   int
	writes     map[string]int // bookmark requests per id
	lists      int
	down       map[string]bool // post domains whose resolve answers 503
	destDown   bool
	snac       bool
	failAuth   bool
	jitter     bool
	// before is called at the start of every request (job checks, kills).
	before func(kind, arg string) error
}

func newFakeDest(host string) *fakeDest {
	return &fakeDest{host: host, posts: map[string]*post{}, byID: map[string]*post{}, bookmarked: map[string]bool{},
		writes: map[string]int{}, down: map[string]bool{}}
}

// addPosts makes n posts of a.example known (statuses 0 to n-1)
// and returns their URIs in that order.
func (d *fakeDest) addPosts(n int) []string {
	uris := make([]string, 0, n)
	for i := range n {
		uris = append(uris, d.add(&post{uri: fmt.Sprintf("https://a.example/users/a/statuses/%d", i)}).uri)
	}
	return uris
}

// add makes a post known; remote posts get a local id on first resolve in
// real servers, here at once.
func (d *fakeDest) add(p *post) *post {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p.localID == "" {
		p.localID = fmt.Sprintf("%d", 1000+len(d.byID))
	}
	d.posts[p.uri] = p
	if p.url != "" {
		d.posts[p.url] = p
	}
	d.byID[p.localID] = p
	return p
}

func (d *fakeDest) status(p *post) fedimarks.Status {
	raw, _ := json.Marshal(map[string]any{"id": p.localID, "uri": p.uri, "url": p.url, "visibility": p.visibility, "bookmarked": d.bookmarked[p.localID]})
	s, err := fedimarks.ParseStatus(raw)
	if err != nil {
		panic(err)
	}
	return s
}

func (d *fakeDest) hook(kind, arg string) error {
	d.mu.Lock()
	f := d.before
	d.mu.Unlock()
	if f != nil {
		return f(kind, arg)
	}
	return nil
}

func (d *fakeDest) Resolve(ctx context.Context, uri string) (*fedimarks.Status, error) {
	if err := d.hook("resolve", uri); err != nil {
		return nil, err
	}
	if d.jitter {
		time.Sleep(time.Duration(len(uri)%7) * 100 * time.Microsecond)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.resolves++
	if d.destDown {
		return nil, netErr{}
	}
	if d.failAuth {
		return nil, &apiErr{401, "The access token is invalid"}
	}
	u, _ := url.Parse(uri)
	if u != nil && d.down[u.Host] {
		return nil, &apiErr{503, "Remote data could not be fetched"}
	}
	p := d.posts[uri]
	if p == nil || p.deleted || p.hidden {
		return nil, nil
	}
	s := d.status(p)
	return &s, nil
}

func (d *fakeDest) Bookmark(ctx context.Context, id string) (fedimarks.Status, error) {
	if err := d.hook("bookmark", id); err != nil {
		return fedimarks.Status{}, err
	}
	if err := ctx.Err(); err != nil {
		return fedimarks.Status{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes[id]++
	if d.destDown {
		return fedimarks.Status{}, netErr{}
	}
	if d.failAuth {
		return fedimarks.Status{}, &apiErr{401, "The access token is invalid"}
	}
	p := d.byID[id]
	if p == nil || p.deleted || p.hidden {
		d.posts404++
		return fedimarks.Status{}, &apiErr{404, "Record not found"}
	}
	if d.bookmarked[id] {
		if d.snac {
			return fedimarks.Status{}, &apiErr{422, "already bookmarked"}
		}
		return d.status(p), nil
	}
	d.bookmarked[id] = true
	d.bookmarks = append(d.bookmarks, id)
	return d.status(p), nil
}

func (d *fakeDest) EachBookmark(ctx context.Context, fn func([]fedimarks.Status) error) error {
	if err := d.hook("list", ""); err != nil {
		return err
	}
	d.mu.Lock()
	d.lists++
	if d.destDown {
		d.mu.Unlock()
		return netErr{}
	}
	var all []fedimarks.Status
	for i := len(d.bookmarks) - 1; i >= 0; i-- {
		if p := d.byID[d.bookmarks[i]]; p != nil && !p.deleted {
			all = append(all, d.status(p))
		}
	}
	d.mu.Unlock()
	for len(all) > 0 {
		n := min(40, len(all))
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// bookmarkedURIs returns the destination's bookmarks oldest first.
func (d *fakeDest) bookmarkedURIs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, id := range d.bookmarks {
		out = append(out, d.byID[id].uri)
	}
	return out
}

func (d *fakeDest) totalWrites() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.writes {
		n += c
	}
	return n
}

func (d *fakeDest) counts() (resolves, writes, lists int) {
	w := d.totalWrites()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.resolves, w, d.lists
}

// fakeProgress records progress calls.
type fakeProgress struct {
	mu    sync.Mutex
	total int64
	done  int64
	notes []string
}

func (p *fakeProgress) Add(n int64)      { p.mu.Lock(); p.done += n; p.mu.Unlock() }
func (p *fakeProgress) SetTotal(n int64) { p.mu.Lock(); p.total = n; p.mu.Unlock() }
func (p *fakeProgress) Note(f string, a ...any) {
	p.mu.Lock()
	p.notes = append(p.notes, fmt.Sprintf(f, a...))
	p.mu.Unlock()
}

// itemsOf builds import rows in write order from URIs.
func itemsOf(uris ...string) []fedimarks.ImportItem {
	out := make([]fedimarks.ImportItem, len(uris))
	for i, u := range uris {
		out[i] = fedimarks.ImportItem{URI: u, Source: fmt.Sprintf("test.csv:%d", len(uris)-i), Order: i}
	}
	return out
}

func outcomesByURI(items []fedimarks.JobItem) map[string]fedimarks.Outcome {
	m := map[string]fedimarks.Outcome{}
	for _, it := range items {
		if _, ok := m[it.Address()]; !ok || it.Outcome != fedimarks.Duplicate {
			m[it.Address()] = it.Outcome
		}
	}
	return m
}

// memLocker is a Locker within one process.
type memLocker struct {
	mu    sync.Mutex
	held  map[fedimarks.Handle]bool
	taken int
}

func (l *memLocker) Lock(ctx context.Context, dest fedimarks.Handle) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[fedimarks.Handle]bool{}
	}
	if l.held[dest] {
		return nil, &fedimarks.Error{Code: fedimarks.EUnavailable, Message: "another fedimarks (PID 42) is importing into " + string(dest)}
	}
	l.held[dest] = true
	l.taken++
	return func() { l.mu.Lock(); delete(l.held, dest); l.mu.Unlock() }, nil
}

// NewMemJournal is the in-memory Journal, for the contract suite that
// runs outside the package (journal_test.go).
func NewMemJournal() Journal { return newMemJournal() }
