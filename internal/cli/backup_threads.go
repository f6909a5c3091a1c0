package cli

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/backup"
	"github.com/fedimarks/fedimarks/internal/mastodon"
	"github.com/fedimarks/fedimarks/internal/misskey"
	"github.com/fedimarks/fedimarks/internal/sqlite"
)

// contextFlag is --context: alone it keeps self-threads ("self"),
// --context=all every reply (--context all is read by the command).
type contextFlag struct{ mode *string }

func (f contextFlag) String() string {
	if f.mode == nil {
		return ""
	}
	return *f.mode
}

func (f contextFlag) Set(s string) error {
	switch s {
	case "true", "self":
		*f.mode = "self"
	case "all":
		*f.mode = "all"
	case "false":
		*f.mode = ""
	default:
		return fmt.Errorf("--context takes nothing or all, not %q", s)
	}
	return nil
}

func (f contextFlag) IsBoolFlag() bool { return true }

// threadResult is the --json summary of the threads a backup kept.
type threadResult struct {
	Fetched int `json:"fetched"`
	Gone    int `json:"gone"`
	Pending int `json:"pending"`
	// Cut are those of Fetched that a server's or fedimarks' limit cut
	// short: kept as read, not recorded as whole (see threadCuts).
	Cut int `json:"cut"`
}

// threadSource fetches threads with the account's client: with the token
// until the server refuses it for lack of read:statuses (403), then
// without it (public threads), for the rest of the backup. mastodon says
// the server is Mastodon, whose context endpoint's limits are known
// (mastodon.MastodonContextLimits): a thread that reaches one is cut.
type threadSource struct {
	c        *mastodon.Client
	anon     *bool
	mastodon bool
	login    string // loginArg of the account, for the way to more
}

func (s threadSource) thread(ctx context.Context, id, author string, all bool) (threadRead, error) {
	t, err := s.c.Context(ctx, id, *s.anon)
	if k := fedimarks.ErrorKind(err); !*s.anon && (k == fedimarks.KindScope || k == fedimarks.KindForbidden) {
		*s.anon = true
		t, err = s.c.Context(ctx, id, true)
	}
	if k := fedimarks.ErrorKind(err); k == fedimarks.KindNotFound || k == fedimarks.KindGone {
		return threadRead{}, backup.ErrPostGone
	}
	if err != nil {
		return threadRead{}, err
	}
	r := threadRead{}
	if s.mastodon && t.Reached(id, mastodon.MastodonContextLimits(*s.anon)) {
		r.cut, r.why = true, "the server gives at most 4,096 posts above and below a post"
		if *s.anon {
			r.why = "without read:statuses the server gives at most 40 posts above a post, 60 below it and 20 levels of replies"
			r.more = "a token with read:statuses reads up to 4,096 (made in the server's settings, then: fedimarks login " + s.login + " --token-stdin)"
		}
	}
	if !all {
		t = mastodon.SelfThread(t, id, author)
	}
	r.ancestors, r.descendants = statusesOf(t.Ancestors), statusesOf(t.Descendants)
	return r, nil
}

func statusesOf(ps []mastodon.ThreadPost) []fedimarks.Status {
	out := make([]fedimarks.Status, len(ps))
	for i, p := range ps {
		out[i] = p.Status
	}
	return out
}

// fetchThreads fetches the pending threads of acc's new bookmarks and
// prints a summary line. c is acc's client when acc speaks Mastodon's
// API; a Misskey-family account (c nil) gets its threads through Misskey's
// API (misskey.Client.Thread).
func (o backupOptions) fetchThreads(ctx context.Context, ar *sqlite.Archive, acc fedimarks.Account, c *mastodon.Client, all bool, out *backupResult) error {
	prog := o.progress("threads "+string(acc.Handle), 0, "threads")
	var (
		src      threadReader = threadSource{c: c, anon: new(bool), mastodon: softwareIs(acc, "mastodon"), login: loginArg(acc.Server)}
		requests func() int64
		needs    = "read:statuses"
	)
	if c != nil {
		requests = c.Requests
	} else {
		tok, err := o.token(ctx, acc.Handle)
		if err != nil {
			prog.Abort()
			return err
		}
		mc := o.misskeyClient(acc.Server, tok, prog)
		src, requests, needs = misskeyThreads{mc}, mc.Requests, ""
	}
	before := requests()
	cuts := newThreadCuts(src, ar)
	res, err := backup.FetchThreads(ctx, acc.Handle, cuts, cuts, all, o.now, prog)
	out.Threads = &threadResult{Fetched: res.Fetched, Gone: res.Gone, Pending: res.Pending, Cut: cuts.n}
	defer cuts.say(o.errOut, acc.Handle)
	out.Requests += requests() - before
	if err != nil {
		prog.Abort()
		fmt.Fprintf(o.errOut, "%s: %s kept, %d left for the next backup --context\n",
			acc.Handle, fedimarks.Plural(int64(res.Fetched), "thread"), res.Pending)
		return o.apiError(acc.Handle, acc.Server, err, needs)
	}
	if res.Fetched+res.Gone == 0 {
		prog.Abort() // no new thread: nothing to say
		return nil
	}
	prog.Finish()
	gone := ""
	if res.Gone > 0 {
		gone = fmt.Sprintf(", %d no longer shown by the server", res.Gone)
	}
	fmt.Fprintf(o.errOut, "%s: %s kept%s; %s\n", acc.Handle,
		fedimarks.Plural(int64(res.Fetched), "thread"), gone, fedimarks.Plural(requests()-before, "request"))
	return nil
}

// misskeyThreads reads threads through Misskey's API.
type misskeyThreads struct{ c *misskey.Client }

func (s misskeyThreads) thread(ctx context.Context, id, author string, all bool) (threadRead, error) {
	t, err := s.c.Thread(ctx, id, author, all)
	if k := fedimarks.ErrorKind(err); k == fedimarks.KindNotFound || k == fedimarks.KindGone {
		return threadRead{}, backup.ErrPostGone
	}
	if err != nil {
		return threadRead{}, err
	}
	r := threadRead{ancestors: t.Ancestors, descendants: t.Descendants, cut: t.Cut, selfWhole: t.SelfWhole}
	if t.Cut {
		r.why = fmt.Sprintf("fedimarks reads at most %d calls of a thread", misskey.MaxThreadCalls)
	}
	return r, nil
}

// withThread sets b.Thread to the thread the archive kept for it, if any.
func withThread(ctx context.Context, ar *sqlite.Archive, b *fedimarks.Bookmark) error {
	before, after, err := ar.ThreadOf(ctx, b.Status.URI)
	if err != nil {
		return err
	}
	if len(before)+len(after) > 0 {
		b.Thread = &fedimarks.Thread{Before: before, After: after}
	}
	return nil
}

// contextMark starts the snippet of a thread post's tab-separated line.
func contextMark(hit fedimarks.Hit) string {
	if hit.ContextOf != "" {
		return "[context] "
	}
	return ""
}

// checkContextFlags checks --context, --no-context and --remember go
// together.
func checkContextFlags(o backupOptions) error {
	switch {
	case o.context != "" && o.noContext:
		return usageError("--context and --no-context contradict each other")
	case o.remember && o.context == "" && !o.noContext:
		return usageError("--remember needs --context (or --context all) or --no-context")
	}
	return nil
}

// withContext settles what a backup of h does with threads: --context
// or --no-context when given (saved as h's setting with --remember), else
// h's setting in settings.json. The setting lives beside the default
// account, per account, since threads cost one request per new bookmark on
// that account's server. export's quick backup (refresh) never keeps
// threads unless asked.
func (o backupOptions) withContext(h fedimarks.Handle) (backupOptions, error) {
	if o.remember {
		s := o.settings()
		ctxs := maps.Clone(s.Context)
		if ctxs == nil {
			ctxs = map[fedimarks.Handle]string{}
		}
		if o.noContext {
			delete(ctxs, h)
		} else {
			ctxs[h] = o.context
		}
		s.Context = ctxs
		if err := o.saveSettings(s); err != nil {
			return o, err
		}
		if o.noContext {
			fmt.Fprintf(o.errOut, "%s: backups keep no threads unless --context is given\n", h)
		} else {
			fmt.Fprintf(o.errOut, "%s: every backup keeps threads (%s) from now on; --no-context skips them once\n", h, contextName(o.context))
		}
	}
	if o.context == "" && !o.noContext && !o.refresh {
		o.context = o.settings().context(h)
	}
	if o.noContext {
		o.context = ""
	}
	return o, nil
}

// contextName says what a context mode keeps.
func contextName(mode string) string {
	if mode == "all" {
		return "everyone's replies"
	}
	return "self-threads"
}

// context is h's thread setting ("self", "all"; "" for none or a value
// fedimarks did not write).
func (s settings) context(h fedimarks.Handle) string {
	switch m := s.Context[h]; m {
	case "self", "all":
		return m
	}
	return ""
}

// contextNote is the line status and accounts print under their table:
// the accounts whose backups keep threads by default, "" when none.
func (s settings) contextNote(hs []fedimarks.Handle) string {
	var on []string
	for _, h := range hs {
		if m := s.context(h); m != "" {
			on = append(on, cleanText(string(h))+" ("+contextName(m)+")")
		}
	}
	if len(on) == 0 {
		return ""
	}
	return "Every backup keeps threads (backup --context --remember) for: " + strings.Join(on, ", ")
}
