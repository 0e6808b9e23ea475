package reconcile

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// RateLimit is how long a provider client waits on a rate limit. Zero
// values mean the defaults.
type RateLimit struct {
	MaxWait  time.Duration // longest single wait; longer and the response is returned as is (default 2m)
	Attempts int           // tries of one request (default 5)
}

// RateLimited wraps next (nil: http.DefaultTransport) so that a provider's
// rate limit is waited out instead of failing a run:
//   - 429, or 403 with Retry-After or X-RateLimit-Remaining: 0 (GitHub), is
//     retried after Retry-After (seconds or a date), else after
//     X-RateLimit-Reset, else after an exponential pause from 1s;
//   - a successful response with X-RateLimit-Remaining: 0 waits until
//     X-RateLimit-Reset before it is returned, so the next request is not
//     refused (go-github refuses it locally otherwise).
//
// A refused request was not processed, so retrying it, POST included, is
// safe. Waits honour the request's context.
func RateLimited(next http.RoundTripper, rl RateLimit) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if rl.MaxWait == 0 {
		rl.MaxWait = 2 * time.Minute
	}
	if rl.Attempts == 0 {
		rl.Attempts = 5
	}
	return &rateLimited{next: next, rl: rl, now: time.Now}
}

type rateLimited struct {
	next http.RoundTripper
	rl   RateLimit
	now  func() time.Time
}

func (t *rateLimited) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, limited := t.limitWait(resp, attempt)
		if !limited {
			if w, ok := t.exhausted(resp); ok && w <= t.rl.MaxWait {
				if err := sleep(ctx, w); err != nil {
					resp.Body.Close()
					return nil, err
				}
			}
			return resp, nil
		}
		if attempt >= t.rl.Attempts || wait > t.rl.MaxWait || (req.Body != nil && req.GetBody == nil) {
			return resp, nil // the caller sees the refusal
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

// limitWait reports whether resp is a rate-limit refusal and how long to wait.
func (t *rateLimited) limitWait(resp *http.Response, attempt int) (time.Duration, bool) {
	h := resp.Header
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode == http.StatusForbidden && (h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0"):
	default:
		return 0, false
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(t.now()), 0), true
		}
	}
	if w, ok := t.exhausted(resp); ok {
		return w, true
	}
	return time.Second << min(attempt-1, 6), true
}

// exhausted reports the wait until X-RateLimit-Reset when no requests remain.
func (t *rateLimited) exhausted(resp *http.Response) (time.Duration, bool) {
	if resp.Header.Get("X-RateLimit-Remaining") != "0" {
		return 0, false
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return 0, false
	}
	// A second past the reset: GitHub's clock and ours differ by some.
	return max(time.Unix(reset, 0).Sub(t.now())+time.Second, 0), true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
