package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/webhook"
)

// Forward POSTs the original raw body and content type to URL, plus
// X-Hookq-Source, -Event-Id, -Event-Type and -Attempt (1 on the first try)
// and the original headers named in passHeaders. 2xx is done; 408, 429,
// 5xx, timeouts and connection errors are retried (honouring Retry-After);
// any other status is permanent. Redirects are not followed: a client
// would turn the POST into a bodiless GET and call it delivered.
func Forward(client *http.Client, url string, timeout time.Duration, passHeaders []string) Handler {
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client = &noRedirect
	return HandlerFunc(func(ctx context.Context, ev *webhook.Event) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(ev.Body))
		if err != nil {
			return fmt.Errorf("forward: %v: %w", err, ErrPermanent)
		}
		for _, k := range passHeaders {
			if v, ok := ev.Headers[http.CanonicalHeaderKey(k)]; ok {
				req.Header.Set(k, v)
			}
		}
		if ev.ContentType != "" {
			req.Header.Set("Content-Type", ev.ContentType)
		}
		retried, _ := asynq.GetRetryCount(ctx)
		req.Header.Set("User-Agent", "hookq")
		req.Header.Set("X-Hookq-Source", ev.Source)
		req.Header.Set("X-Hookq-Event-Id", ev.ID)
		req.Header.Set("X-Hookq-Event-Type", ev.Type)
		req.Header.Set("X-Hookq-Attempt", strconv.Itoa(retried+1))
		if tp := trace.FromContext(ctx); tp != "" {
			req.Header.Set(trace.Header, tp) // same trace, this attempt as parent
		}
		start := time.Now()
		resp, err := client.Do(req)
		d := webhook.Delivery{Attempt: retried + 1, At: start.UTC()}
		if err != nil {
			d.Error, d.LatencyMS = err.Error(), ms(time.Since(start))
			recordDelivery(ctx, d)
			return fmt.Errorf("forward: %w", err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		d.Status, d.LatencyMS = resp.StatusCode, ms(time.Since(start))
		recordDelivery(ctx, d)
		switch s := resp.StatusCode; {
		case s >= 200 && s < 300:
			return nil
		case s >= 300 && s < 400:
			return fmt.Errorf("forward: destination redirected (%d to %q); set the route's url to the final address: %w",
				s, resp.Header.Get("Location"), ErrPermanent)
		case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
			err := fmt.Errorf("forward: destination answered %d", s)
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				return &RetryAfterError{After: d, Err: err}
			}
			return err
		default:
			return fmt.Errorf("forward: destination answered %d: %w", s, ErrPermanent)
		}
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// resultKey holds the task's *asynq.ResultWriter in a handler's context
// when the Mux records results.
type resultKey struct{}

// recordDelivery stores d as the task's result when results are recorded.
// It is best effort: a failed write costs the history line, not the delivery.
func recordDelivery(ctx context.Context, d webhook.Delivery) {
	if w, ok := ctx.Value(resultKey{}).(*asynq.ResultWriter); ok && w != nil {
		b, _ := json.Marshal(d)
		w.Write(b)
	}
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}

// Log records the event at info and succeeds; the body is not logged.
func Log(log *zap.Logger) Handler {
	return HandlerFunc(func(ctx context.Context, ev *webhook.Event) error {
		log.Info("event", zap.String("source", ev.Source), zap.String("event_id", ev.ID),
			zap.String("event_type", ev.Type), zap.Int("bytes", len(ev.Body)), zap.Time("received_at", ev.ReceivedAt))
		return nil
	})
}
