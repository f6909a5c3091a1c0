package mastodontest

import (
	"time"
)

// misskeyLimit is an endpoint's meta.limit: at most max calls per duration
// for each user (or IP). The zero value is no limit.
type misskeyLimit struct {
	max      int
	duration time.Duration
}

// misskeyWindow is one actor's use of one endpoint: Misskey's limiter
// starts a window with the first call and counts until it ends.
type misskeyWindow struct {
	start time.Time
	used  int
}

// SetEndpointLimit sets the rate limit of one endpoint of a Misskey
// instance (e.g. "i/favorites"): max calls per d for each user, in windows
// that start with a user's first call (on Sharkey a leaky bucket of max
// calls that drains one call every d/max). max = 0 turns it off; max < 0
// restores the server's own (ap/show: 30 an hour on Misskey, 30 a minute
// on Sharkey; the others none on Misskey, 10 a second on Sharkey). Over
// the limit the answer is 429 RATE_LIMIT_EXCEEDED with info.resetMs (Unix
// milliseconds) and no header on Misskey; Sharkey's as
// misskey_sharkey.go says. On a Misskey instance, SetRateLimit sets the
// limit of every endpoint without one of its own. Setting a limit starts
// every window and bucket afresh.
func (i *Instance) SetEndpointLimit(endpoint string, max int, d time.Duration) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	if i.mk.limits == nil {
		i.mk.limits = map[string]misskeyLimit{}
	}
	if max < 0 {
		delete(i.mk.limits, endpoint)
	} else {
		i.mk.limits[endpoint] = misskeyLimit{max: max, duration: d}
	}
	i.mk.windows = nil
	i.mk.buckets = nil
}

// misskeyLimitOf is the limit that applies to ep.
func (i *Instance) misskeyLimitOf(ep *misskeyEndpoint) misskeyLimit {
	if l, ok := i.mk.limits[ep.name]; ok {
		return l
	}
	if i.sharkey() {
		return sharkeyLimitOf(ep, i.rateN, i.rateWindow)
	}
	if ep.limit.max > 0 {
		return ep.limit
	}
	if i.rateN > 0 {
		return misskeyLimit{max: i.rateN, duration: i.rateWindow}
	}
	return misskeyLimit{}
}

// misskeySpend counts one call of ep by actor. It returns whether the
// call may go on (else the 429 to send) and the rate-limit headers its
// answer carries (none on Misskey).
func (i *Instance) misskeySpend(ep *misskeyEndpoint, actor string) (reply, bool, map[string]string) {
	l := i.misskeyLimitOf(ep)
	if l.max <= 0 || l.duration <= 0 {
		return reply{}, true, nil
	}
	if i.sharkey() {
		return i.sharkeySpend(ep.name, actor, l)
	}
	now := i.n.now()
	key := ep.name + " " + actor
	if i.mk.windows == nil {
		i.mk.windows = map[string]*misskeyWindow{}
	}
	w := i.mk.windows[key]
	if w == nil || !now.Before(w.start.Add(l.duration)) {
		w = &misskeyWindow{start: now}
		i.mk.windows[key] = w
	}
	if w.used >= l.max {
		// Misskey's ApiCallService passes the limiter's info and sends no
		// header: no Retry-After, no X-RateLimit-*.
		reset := w.start.Add(l.duration)
		return mkRateLimited.reply(map[string]any{
			"total": l.max, "remaining": 0,
			"resetMs": reset.UnixMilli(), "resetSec": reset.Unix(),
		}), false, nil
	}
	w.used++
	return reply{}, true, nil
}
