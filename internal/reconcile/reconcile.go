// Package reconcile goes back to a provider for the events hookq missed.
// Where a provider keeps its event history behind an authenticated API
// (Stripe's events, GitHub's hook deliveries), a run lists that history since
// a watermark and feeds each event through the same atomic dedupe+enqueue as
// ingest, so only what hookq never acknowledged becomes a task. An event
// hookq can fetch whole (Stripe) is enqueued with verified_by naming the API;
// one it cannot (GitHub sends no signed body over its API) is redelivered by
// the provider and arrives, signed, through ingest.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/webhook"
)

// Timing of a run's window. Settle keeps a run off events so fresh that their
// webhook is still on its way; Overlap re-reads the end of the previous run's
// window, for events a provider lists late. Margin keeps the window inside
// the dedupe window despite clock skew between hookq and the provider.
const (
	Settle  = 2 * time.Minute
	Overlap = time.Hour
	Margin  = 5 * time.Minute
)

// maxIDLen bounds ids and types as ingest does: they become Redis keys.
const maxIDLen = 256

// maxListed bounds the ids a Report keeps.
const maxListed = 1000

// Enqueuer is ingest's dedupe+enqueue (queue.Enqueuer).
type Enqueuer interface {
	Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate bool, err error)
	Seen(ctx context.Context, source, eventID string, window time.Duration, routes []string) (bool, error)
}

// Item is one event of a provider's history.
type Item struct {
	ID      string    // the event id ingest extracts from the provider's webhook
	Type    string    // the event type ingest extracts
	Created time.Time // when the provider created (GitHub: delivered) it
	// Body is the event as the provider's webhook carries it; nil when only
	// the provider can send it again (Redeliver).
	Body     []byte
	Delivery int64 // the provider's delivery id, for Redeliver
}

// Provider reads a provider's event history.
type Provider interface {
	// Name is the envelope's verified_by for events fetched from the API.
	Name() string
	// List calls fn for every event created at or after since (and may call
	// it for older ones), newest first; an error from fn stops it.
	List(ctx context.Context, since time.Time, fn func(Item) error) error
	// Redeliver asks the provider to send an item without Body again.
	Redeliver(ctx context.Context, it Item) error
}

// Source is the configured source a Reconciler feeds.
type Source struct {
	Name      string
	DedupeTTL time.Duration
	Since     time.Duration // lookback when there is no watermark yet; default 24h
	Routes    []Route
}

// Route sends events whose type matches one of Events (globs; empty = all)
// to its task, as ingest's routes do.
type Route struct {
	Events []string
	Task   webhook.Task
}

// Options of one run.
type Options struct {
	// Since is the lookback from now. Zero: from the watermark (less
	// Overlap), or Source.Since when there is none.
	Since  time.Duration
	DryRun bool // list and compare, enqueue and redeliver nothing
}

// Report is what a run found and did.
type Report struct {
	From        time.Time `json:"from"`        // the window of creation times read: From…
	Until       time.Time `json:"until"`       // …Until
	Clamped     bool      `json:"clamped"`     // From was raised to the edge of the dedupe window
	Listed      int       `json:"listed"`      // distinct events in the window
	Ignored     int       `json:"ignored"`     // no route matches their type (ingest leaves no mark for them either)
	Malformed   int       `json:"malformed"`   // ids or types ingest would refuse
	Present     int       `json:"present"`     // hookq already has them (dedupe mark or task)
	Enqueued    int       `json:"enqueued"`    // missed, now enqueued (or, in a dry run, would be)
	Redelivered int       `json:"redelivered"` // missed, provider asked to send again (or would be)
	Missed      []string  `json:"missed"`      // ids enqueued or redelivered, at most 1000
	Watermark   time.Time `json:"watermark"`   // the watermark after the run (zero: none)
}

// ErrWindow is returned when an explicit lookback reaches past the dedupe
// window: there hookq can no longer tell what it acknowledged.
var ErrWindow = errors.New("lookback beyond the dedupe window")

// Reconciler runs reconciliation for one source.
type Reconciler struct {
	src Source
	p   Provider
	enq Enqueuer
	rdb redis.UniversalClient
	log *zap.Logger
	now func() time.Time
}

// New returns a Reconciler of src over p. rdb holds the watermark.
func New(src Source, p Provider, enq Enqueuer, rdb redis.UniversalClient, log *zap.Logger) *Reconciler {
	if src.Since == 0 {
		src.Since = 24 * time.Hour
	}
	return &Reconciler{src: src, p: p, enq: enq, rdb: rdb, log: log.With(zap.String("source", src.Name)), now: time.Now}
}

// Source is the source's name.
func (r *Reconciler) Source() string { return r.src.Name }

// WatermarkKey holds a source's watermark: every event created before it
// has been reconciled (unix milliseconds).
func WatermarkKey(source string) string { return "hookq:{webhooks}:reconcile:" + source + ":watermark" }

// Watermark returns the source's watermark; zero when none was recorded.
func (r *Reconciler) Watermark(ctx context.Context) (time.Time, error) {
	v, err := r.rdb.Get(ctx, WatermarkKey(r.src.Name)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reconcile %s: read watermark: %w", r.src.Name, err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("reconcile %s: watermark %q is not unix milliseconds", r.src.Name, v)
	}
	return time.UnixMilli(ms), nil
}

// advance only ever moves the watermark forward, so a slow run finishing
// after a newer one cannot move it back.
var advance = redis.NewScript(`
local cur = tonumber(redis.call("GET", KEYS[1]) or "0")
if tonumber(ARGV[1]) > cur then redis.call("SET", KEYS[1], ARGV[1]) return ARGV[1] end
return tostring(cur)
`)

// Run reconciles one window. Errors stop the run; whatever it enqueued
// stays enqueued, and the watermark moves only after a whole window was read
// and acted on, so the next run covers anything this one did not finish.
func (r *Reconciler) Run(ctx context.Context, opt Options) (*Report, error) {
	now := r.now()
	floor := now.Add(-r.src.DedupeTTL + Margin)
	wm, err := r.Watermark(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Until: now.Add(-Settle), Watermark: wm}
	switch {
	case opt.Since > 0:
		rep.From = now.Add(-opt.Since)
		if rep.From.Before(floor) {
			return nil, fmt.Errorf("reconcile %s: -since %s: %w (%s less a %s margin): hookq cannot tell what it acknowledged before then; raise the source's dedupe_ttl",
				r.src.Name, opt.Since, ErrWindow, r.src.DedupeTTL, Margin)
		}
	case !wm.IsZero():
		rep.From = wm.Add(-Overlap)
	default:
		rep.From = now.Add(-r.src.Since)
	}
	if rep.From.Before(floor) {
		// The watermark is older than the dedupe window (no run for that
		// long): events before floor may have lost their marks, and
		// enqueuing them could run them twice.
		r.log.Warn("reconcile: watermark older than the dedupe window; events created before the window are not reconciled",
			zap.Time("watermark", wm), zap.Time("from", floor))
		rep.From, rep.Clamped = floor, true
	}
	continuous := wm.IsZero() || !rep.From.After(wm) || rep.Clamped

	headers := map[string]string{}
	seen := map[string]bool{}
	err = r.p.List(ctx, rep.From, func(it Item) error {
		if it.Created.Before(rep.From) || it.Created.After(rep.Until) || seen[it.ID] {
			return nil
		}
		seen[it.ID] = true // GitHub lists every attempt; the first is the newest
		rep.Listed++
		if !validID(it.ID) || !validID(it.Type) {
			rep.Malformed++
			r.log.Warn("reconcile: provider event with an id or type ingest would refuse", zap.String("event_id", it.ID), zap.String("event_type", it.Type))
			return nil
		}
		tasks := r.tasksFor(it.Type)
		if len(tasks) == 0 {
			rep.Ignored++
			return nil
		}
		if it.Body == nil || opt.DryRun {
			routes := make([]string, len(tasks))
			for i, t := range tasks {
				routes[i] = t.Route
			}
			present, err := r.enq.Seen(ctx, r.src.Name, it.ID, r.src.DedupeTTL, routes)
			if err != nil {
				return err
			}
			if present {
				rep.Present++
				return nil
			}
			if it.Body == nil {
				if !opt.DryRun {
					if err := r.p.Redeliver(ctx, it); err != nil {
						return err
					}
				}
				rep.missed(&rep.Redelivered, it.ID)
				return nil
			}
			rep.missed(&rep.Enqueued, it.ID)
			return nil
		}
		ev := &webhook.Event{Source: r.src.Name, ID: it.ID, Type: it.Type, Body: it.Body,
			ContentType: "application/json; charset=utf-8", ReceivedAt: r.now().UTC(), VerifiedBy: r.p.Name()}
		headers[trace.Header] = trace.FromRequest("")
		dup, err := r.enq.Enqueue(ctx, ev, r.src.DedupeTTL, tasks, headers)
		if err != nil {
			return err
		}
		if dup {
			rep.Present++
			return nil
		}
		r.log.Info("reconcile: enqueued a missed event", zap.String("event_id", it.ID), zap.String("event_type", it.Type), zap.Time("created", it.Created))
		rep.missed(&rep.Enqueued, it.ID)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile %s: %w", r.src.Name, err)
	}
	if opt.DryRun || !continuous {
		return rep, nil
	}
	v, err := advance.Run(ctx, r.rdb, []string{WatermarkKey(r.src.Name)}, strconv.FormatInt(rep.Until.UnixMilli(), 10)).Text()
	if err != nil {
		return rep, fmt.Errorf("reconcile %s: advance watermark: %w", r.src.Name, err)
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		rep.Watermark = time.UnixMilli(ms)
	}
	return rep, nil
}

func (rep *Report) missed(n *int, id string) {
	*n++
	if len(rep.Missed) < maxListed {
		rep.Missed = append(rep.Missed, id)
	}
}

func (r *Reconciler) tasksFor(eventType string) []webhook.Task {
	var out []webhook.Task
	for _, rt := range r.src.Routes {
		match := len(rt.Events) == 0
		for _, g := range rt.Events {
			match = match || webhook.MatchType(g, eventType)
		}
		if match {
			out = append(out, rt.Task)
		}
	}
	return out
}

func validID(s string) bool {
	return s != "" && len(s) <= maxIDLen && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}
