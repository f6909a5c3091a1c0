package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"iter"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// Merge joins the rows of several input files into one list in write
// order: the files in the order given, and within each file by Order (0,
// the oldest bookmark, first). Give the older file first when files
// overlap in time; duplicates across files collapse to the first copy.
// The slices given are sorted in place, and a single one is returned
// as it is: a copy of 200,000 rows would cost 30 MB for nothing.
func Merge(files ...[]fedimarks.ImportItem) []fedimarks.ImportItem {
	if len(files) == 1 {
		sortByOrder(files[0])
		return files[0]
	}
	n := 0
	for _, f := range files {
		n += len(f)
	}
	out := make([]fedimarks.ImportItem, 0, n)
	for _, f := range files {
		start := len(out)
		out = append(out, f...)
		sortByOrder(out[start:])
	}
	return out
}

// sortByOrder sorts one file's rows by Order, stably. A file listed
// newest first, as most are, is only reversed.
func sortByOrder(rows []fedimarks.ImportItem) {
	descending := true
	for i := 1; i < len(rows) && descending; i++ {
		descending = rows[i-1].Order > rows[i].Order
	}
	if descending {
		slices.Reverse(rows)
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Order < rows[j].Order })
}

// Key returns the job key of an import: a hash of the destination and the
// rows' content in write order. The same command over the same files finds
// the same job, which is how a rerun resumes.
func Key(dest fedimarks.Handle, items []fedimarks.ImportItem) string {
	h := sha256.New()
	h.Write([]byte("fedimarks import v1\n" + string(dest) + "\n"))
	for _, it := range items {
		h.Write([]byte(it.URI + "\t" + it.URL + "\t" + it.Invalid + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// keySet is a set of posts matched by URI or URL; the value names the
// row that added the post (its Source), for messages. Keys are kept
// hashed (see addrKey).
type keySet map[addrKey]string

// postSet is the set of posts planning matches rows against: a keySet,
// or a postHashes when a duplicate need not name the row it repeats.
type postSet interface {
	findKeys(ks addrKeys) (src string, ok bool)
	addKeys(src string, ks addrKeys)
}

// postHashes is a postSet that does not keep which row added a post
// (findKeys names none): 16 bytes a post, not 32.
type postHashes map[addrKey]struct{}

func (p postHashes) addKeys(_ string, ks addrKeys) {
	if m := ks.key(); m != "" {
		p[hashKey(m)] = struct{}{}
	}
}

func (p postHashes) findKeys(ks addrKeys) (string, bool) {
	if m := ks.key(); m != "" {
		_, ok := p[hashKey(m)]
		return "", ok
	}
	return "", false
}

// addrKey is a matching key (see keysOf) hashed to 128 bits: a set of
// 200,000 posts keeps 16 bytes a key instead of the key's text (about 70
// with its header). Two different keys share a hash with odds of 2^-128
// a pair; the seeds are drawn per process, so no input can aim at a
// collision.
type addrKey [2]uint64

var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashKey(k string) addrKey {
	return addrKey{maphash.String(keySeeds[0], k), maphash.String(keySeeds[1], k)}
}

func (k keySet) add(src string, addrs ...string) {
	for _, a := range addrs {
		k.addKeys(src, keysOf(a))
	}
}

func (k keySet) find(addrs ...string) (string, bool) {
	for _, a := range addrs {
		if src, ok := k.findKeys(keysOf(a)); ok {
			return src, true
		}
	}
	return "", false
}

func (k keySet) addKeys(src string, ks addrKeys) {
	if m := ks.key(); m != "" {
		h := hashKey(m)
		if _, ok := k[h]; !ok {
			k[h] = src
		}
	}
}

func (k keySet) findKeys(ks addrKeys) (string, bool) {
	if m := ks.key(); m != "" {
		src, ok := k[hashKey(m)]
		return src, ok
	}
	return "", false
}

// key is the one key a set keeps of an address: its post key when it has
// one, else its match key. Two addresses with the same match key are one
// URL, and so have the same post key or none: keeping the post key alone
// matches what keeping both would, in half the memory.
func (ks addrKeys) key() string {
	if ks.post != "" {
		return ks.post
	}
	return ks.match
}

// addrKeys is what matching needs of one address (see keysOf).
type addrKeys struct {
	match, post, host string
}

// keysOf computes an address's keys, parsing it once. The match key
// normalises a URI or URL: scheme and host lower-cased, fragment dropped,
// a trailing slash trimmed. The post key names the post an address of a
// known form points to, so that the forms of one post on one host match
// each other: Mastodon's URI /users/NAME/statuses/ID, its URL /@NAME/ID
// and newer URI /ap/users/AID/statuses/ID, GoToSocial's /@NAME/statuses/ID
// and Pixelfed's /p/NAME/ID all carry the post's id on its server, unique
// there ("" for other forms). The host is fedimarks.HostOf's answer.
func keysOf(addr string) addrKeys {
	s := strings.TrimSpace(addr)
	if s == "" {
		return addrKeys{}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return addrKeys{match: s}
	}
	var ks addrKeys
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (scheme == "http" || scheme == "https") && addr == s {
		ks.host = host
	}
	if scheme == "http" || scheme == "https" {
		if m := localPath.FindStringSubmatch(u.Path); m != nil {
			ks.post = "post " + host + " " + m[1]
		}
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = scheme, host, "", ""
	ks.match = u.String()
	if len(ks.match) > 1 {
		ks.match = strings.TrimSuffix(ks.match, "/")
	}
	return ks
}

// addStatus adds a status's URI and URL, and those of the post it boosts.
func (k keySet) addStatus(s fedimarks.Status) {
	k.add("", s.URI, s.URL)
	if s.Reblog != nil {
		k.add("", s.Reblog.URI, s.Reblog.URL)
	}
}

// planItems turns input rows into job rows in write order. seen holds the
// posts of rows already in the job: a new row matching one of them, or an
// earlier new row, is a duplicate. Invalid rows and duplicates get their
// final outcome here; the rest are pending.
func planItems(items []fedimarks.ImportItem, seen keySet) []fedimarks.JobItem {
	out := make([]fedimarks.JobItem, 0, len(items))
	for it := range planSeq(items, seen) {
		out = append(out, it)
	}
	return out
}

// planSeq is planItems one row at a time, for those who need each row
// once and not the whole list (verify over 200,000 rows).
func planSeq(items []fedimarks.ImportItem, seen postSet) iter.Seq[fedimarks.JobItem] {
	return func(yield func(fedimarks.JobItem) bool) {
		for _, in := range items {
			if !yield(planItem(in, seen)) {
				return
			}
		}
	}
}

// planItem plans one row (see planItems), adding its post to seen when it
// is new.
func planItem(in fedimarks.ImportItem, seen postSet) fedimarks.JobItem {
	it := fedimarks.JobItem{
		URI: strings.TrimSpace(in.URI), URL: strings.TrimSpace(in.URL), AuthorURL: in.AuthorURL,
		Source: in.Source, Visibility: in.Visibility, CreatedAt: in.CreatedAt, Outcome: fedimarks.Pending,
	}
	if in.Invalid != "" {
		it.Outcome, it.Detail = fedimarks.Invalid, in.Invalid
		return it
	}
	// One parse of each address serves the checks and the matching.
	uk, lk := keysOf(it.URI), keysOf(it.URL)
	if uk.host == "" && lk.host == "" {
		it.Outcome, it.Detail = fedimarks.Invalid, "not an http(s) URL"
		return it
	}
	src, ok := seen.findKeys(uk)
	if !ok {
		src, ok = seen.findKeys(lk)
	}
	if ok {
		it.Outcome = fedimarks.Duplicate
		it.Detail = "same post as an earlier row"
		if src != "" {
			it.Detail = "same post as " + src
		}
	} else {
		seen.addKeys(it.Source, uk)
		seen.addKeys(it.Source, lk)
	}
	return it
}

// localPath matches the paths of a post that carry its local id:
// Mastodon's /users/NAME/statuses/ID and /@NAME/ID, newer Mastodon's
// /ap/users/AID/statuses/ID, GoToSocial's /users/NAME/statuses/ULID and
// /@NAME/statuses/ULID, Pixelfed's /p/NAME/ID. (snac's /NAME/p/TIME.N
// carries no id: such posts are searched.)
var localPath = regexp.MustCompile(`^/(?:users/[^/]+/statuses|ap/users/[^/]+/statuses|@[^/]+/statuses|@[^/]+|p/[^/]+)/([0-9A-Za-z]+)/?$`)

// localID returns the destination's own id of a post when the row's URI or
// URL is on the destination's host and carries the id.
func localID(it fedimarks.JobItem, destHost string) string {
	if destHost == "" {
		return ""
	}
	for _, a := range []string{it.URI, it.URL} {
		// Most rows are elsewhere: a look for the host's name spares them
		// the parse (an address with capitals is parsed anyway).
		if !strings.Contains(a, destHost) && strings.ToLower(a) == a {
			continue
		}
		if fedimarks.HostOf(a) != destHost {
			continue
		}
		u, err := url.Parse(a)
		if err != nil {
			continue
		}
		if m := localPath.FindStringSubmatch(u.Path); m != nil {
			return m[1]
		}
	}
	return ""
}
