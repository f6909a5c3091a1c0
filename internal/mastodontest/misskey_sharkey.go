package mastodontest

import (
	"fmt"
	"strconv"
	"time"
)

// A Misskey instance whose software is "sharkey" (InstanceOptions.Software)
// limits its API as Sharkey's SkRateLimiterService and ApiCallService do:
//
//   - every endpoint is limited, each on its own, per user (per IP without
//     one): its own limit, else 10 calls a second; ap/show 30 a minute;
//   - a limit is a leaky bucket: a legacy {max, duration} becomes a bucket
//     of max calls that drips one call every duration/max (dripSize 1);
//     a call is refused when the bucket is full, else it fills one slot;
//     the bucket's keys expire a full reset after their last write;
//   - every answer of a limited endpoint carries X-RateLimit-Remaining
//     (calls that can still be made now) and X-RateLimit-Clear (seconds,
//     with 3 decimals, until the bucket is empty), no X-RateLimit-Limit; a
//     429 adds Retry-After (whole seconds, rounded up) and
//     X-RateLimit-Reset (seconds with 3 decimals) until a slot is free,
//     and its error's info is the LimitInfo (resetMs in milliseconds from
//     now, not a Unix time); older versions write Clear in whole seconds
//     and Reset in milliseconds (SetSharkeyWholeSeconds).
//
// (The lockout cache of SkRateLimiterService stores a duration and
// compares it with a Unix time, so it never holds: it is not modelled.)

// sharkeyBucket is one actor's bucket of one endpoint.
type sharkeyBucket struct {
	counter int
	stamp   time.Time // the last drip; zero: none
	written time.Time // the last write (the keys expire after it)
}

// sharkeyOwnLimits are Sharkey's limits where they differ from Misskey's.
var sharkeyOwnLimits = map[string]misskeyLimit{
	"ap/show": {max: 30, duration: time.Minute},
}

// sharkeyDefaultLimit applies to an endpoint without a limit of its own.
var sharkeyDefaultLimit = misskeyLimit{max: 10, duration: time.Second}

// sharkey reports whether i limits its API as Sharkey does.
func (i *Instance) sharkey() bool { return i.opts.Quirk == Misskey && i.software() == "sharkey" }

// sharkeyLimitOf is the limit of ep on Sharkey when no test set one:
// its own, else SetRateLimit's, else 10 a second.
func sharkeyLimitOf(ep *misskeyEndpoint, n int, window time.Duration) misskeyLimit {
	if l, ok := sharkeyOwnLimits[ep.name]; ok {
		return l
	}
	if ep.limit.max > 0 {
		return ep.limit
	}
	if n > 0 {
		return misskeyLimit{max: n, duration: window}
	}
	return sharkeyDefaultLimit
}

// sharkeySpend counts one call of endpoint by actor in its bucket.
func (i *Instance) sharkeySpend(endpoint, actor string, l misskeyLimit) (reply, bool, map[string]string) {
	now := i.n.now()
	size := l.max
	drip := max(l.duration/time.Duration(l.max), time.Millisecond)
	full := drip * time.Duration(size)
	if i.mk.buckets == nil {
		i.mk.buckets = map[string]*sharkeyBucket{}
	}
	key := endpoint + " " + actor
	b := i.mk.buckets[key]
	if b == nil || !now.Before(b.written.Add(ceilSecond(full))) {
		b = &sharkeyBucket{}
		i.mk.buckets[key] = b
	}
	// Drip.
	if !b.stamp.IsZero() {
		drips := int(now.Sub(b.stamp) / drip)
		if delta := min(drips, b.counter); delta > 0 {
			b.stamp = b.stamp.Add(time.Duration(drips) * drip)
			b.counter -= delta
			b.written = now
		}
	}
	// Check.
	blocked := b.counter >= size
	if !blocked {
		if b.stamp.IsZero() {
			b.stamp = now
		}
		b.counter++
		b.written = now
	}
	overflow := max(b.counter+1-size, 0)
	resetMs := max(drip*time.Duration(overflow)-now.Sub(b.stamp), 0)
	fullMs := drip * time.Duration(b.counter)
	clear, reset := seconds3(fullMs), seconds3(resetMs)
	if i.mk.wholeSeconds {
		clear = strconv.FormatInt(int64(ceilSecond(fullMs)/time.Second), 10)
		reset = strconv.FormatInt(resetMs.Milliseconds(), 10)
	}
	headers := map[string]string{
		"X-RateLimit-Clear":     clear,
		"X-RateLimit-Remaining": strconv.Itoa(max(size-b.counter, 0)),
	}
	if !blocked {
		if i.mk.taken == nil {
			i.mk.taken = map[string][]time.Time{}
		}
		i.mk.taken[endpoint] = append(i.mk.taken[endpoint], now)
		return reply{}, true, headers
	}
	headers["Retry-After"] = strconv.FormatInt(int64(ceilSecond(resetMs)/time.Second), 10)
	headers["X-RateLimit-Reset"] = reset
	return mkRateLimited.reply(map[string]any{
		"blocked": true, "remaining": 0,
		"resetMs": resetMs.Milliseconds(), "resetSec": int64(ceilSecond(resetMs) / time.Second),
		"fullResetMs": fullMs.Milliseconds(), "fullResetSec": int64(ceilSecond(fullMs) / time.Second),
	}), false, headers
}

// SetSharkeyWholeSeconds makes a Sharkey instance write its headers as
// older Sharkey versions do: X-RateLimit-Clear in whole seconds (rounded
// up) and X-RateLimit-Reset in milliseconds.
func (i *Instance) SetSharkeyWholeSeconds(on bool) {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	i.mk.wholeSeconds = on
}

// seconds3 writes d in seconds with 3 decimals, as toFixed(3) does.
func seconds3(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d.Milliseconds())/1000)
}

// ceilSecond rounds d up to a whole second.
func ceilSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// SharkeyTaken returns when the buckets of endpoint took a call (any
// actor's), in order: the calls that were not refused.
func (i *Instance) SharkeyTaken(endpoint string) []time.Time {
	i.n.mu.Lock()
	defer i.n.mu.Unlock()
	return append([]time.Time(nil), i.mk.taken[endpoint]...)
}
