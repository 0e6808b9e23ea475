// Package worker runs each route's handler on the tasks ingest enqueued:
// dispatch by task type, a per-route bound on deliveries in flight across
// processes (inflight.go), retries with exponential backoff and jitter,
// permanent failures straight to the dead-letter queue (Asynq's archive).
package worker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/webhook"
)

// Handler processes one verified event. Asynq runs a task at least once and
// sometimes twice (after a crash, a lost lease or a shutdown timeout), so a
// handler must be idempotent and honour ctx. Returning an error wrapping
// ErrPermanent sends the task straight to the dead-letter queue.
type Handler interface {
	Handle(ctx context.Context, ev *webhook.Event) error
}

// HandlerFunc adapts a function to Handler; business handlers
// (handlers.Func) are the same type.
type HandlerFunc = webhook.HandlerFunc

// ErrPermanent marks a failure that retrying cannot fix.
var ErrPermanent = asynq.SkipRetry

// Route is one configured route as the worker runs it.
type Route struct {
	Name    string
	Handler Handler
	Backoff Backoff
	// Timeout is the handler's own bound (the task's deadline is later):
	// what a last attempt waiting for a slot must leave the handler.
	Timeout time.Duration
	// MaxInFlight bounds the route's handlers running at once across
	// worker processes; 0: no bound.
	MaxInFlight int
}

// Backoff is exponential with jitter: attempt n (0-based) waits a random
// duration in [d/2, d] where d = min(Max, Base·2ⁿ).
type Backoff struct {
	Base, Max time.Duration
}

// Delay returns the wait before retry n+1.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Max
	if n < 32 {
		if e := b.Base << n; e > 0 && e < b.Max {
			d = e
		}
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// RetryAfterError asks for a retry no sooner than After (HTTP 429/503
// Retry-After from a forward destination).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Metrics records task outcomes. A nil Metrics records nothing.
type Metrics interface {
	// Task is called once per attempt; outcome is "processed", "retried"
	// or "dead_lettered" (the last two are failures).
	Task(route, eventType, outcome string, elapsed time.Duration)
	// ArchiveTrimmed counts archived tasks Asynq drops to make room.
	ArchiveTrimmed(queue string, n int)
	// StreamTrimmed counts dead-letter stream entries removed to keep the
	// stream within its bounds.
	StreamTrimmed(n int)
}

// DeadLetters keeps a durable copy of every task about to be dead-lettered
// and reports what that pushes out: archived tasks Asynq will trim, and old
// copies removed to keep the copies bounded (queue.DeadLetters).
type DeadLetters interface {
	Record(ctx context.Context, l webhook.DeadLetter) (webhook.DeadLetterTrims, error)
}

// Mux dispatches tasks to routes by task type.
type Mux struct {
	log        *zap.Logger
	routes     map[string]Route // by task type
	m          Metrics
	dl         DeadLetters
	tracer     *trace.Tracer
	limiter    Limiter
	record     bool
	defBackoff Backoff
}

// MuxOptions are the Mux's optional collaborators; nil means none.
type MuxOptions struct {
	Metrics     Metrics
	DeadLetters DeadLetters
	Tracer      *trace.Tracer // exports a span per attempt when set
	// Limiter enforces routes' MaxInFlight; nil: no route is bounded.
	Limiter Limiter
	// RecordResults lets handlers record an outcome as the task's result
	// (forward records each attempt's answer); on when history is kept.
	RecordResults bool
	// DefaultBackoff is the retry backoff of a task whose route is no
	// longer configured (config's route default); zero: Asynq's default.
	DefaultBackoff Backoff
}

// NewMux returns the Asynq handler for routes.
func NewMux(log *zap.Logger, routes []Route, opt MuxOptions) *Mux {
	mux := &Mux{log: log, routes: make(map[string]Route, len(routes)), m: opt.Metrics, dl: opt.DeadLetters, tracer: opt.Tracer,
		limiter: opt.Limiter, record: opt.RecordResults, defBackoff: opt.DefaultBackoff}
	for _, r := range routes {
		mux.routes[webhook.TaskType(r.Name)] = r
	}
	return mux
}

// attempt is one run of one task, as its steps share it.
type attempt struct {
	task     *asynq.Task
	route    Route
	ev       *webhook.Event
	retried  int
	maxRetry int
	start    time.Time
	log      *zap.Logger
}

// ProcessTask implements asynq.Handler: resolve the route and decode, take a
// slot of a bounded route, run the handler traced and logged, then settle
// the outcome (metrics, log, dead-letter copy). Each step is a method below.
func (mux *Mux) ProcessTask(ctx context.Context, t *asynq.Task) error {
	a, err := mux.resolve(ctx, t)
	if err != nil {
		return err
	}
	release, err := mux.admit(ctx, a)
	if err != nil {
		if a.retried >= a.maxRetry { // Asynq archives it: keep the copy
			return mux.settle(ctx, a, err)
		}
		a.log.Debug("route full, task deferred", zap.Error(err))
		return err
	}
	defer release()
	return mux.settle(ctx, a, mux.run(ctx, a))
}

// resolve finds the task's route and decodes its event. A task of an unknown
// route keeps retrying (config may bring the route back); an undecodable
// one is dead-lettered at once.
func (mux *Mux) resolve(ctx context.Context, t *asynq.Task) (*attempt, error) {
	a := &attempt{task: t, start: time.Now(), log: mux.log}
	a.retried, _ = asynq.GetRetryCount(ctx)
	a.maxRetry, _ = asynq.GetMaxRetry(ctx)
	route, ok := mux.routes[t.Type()]
	if !ok {
		// Config changed while tasks were queued: keep retrying so a
		// restored route still gets them; operators see them in the dashboard.
		err := fmt.Errorf("no route configured for task type %q", t.Type())
		mux.log.Warn("no route for task type", zap.String("type", t.Type()), zap.Int("attempt", a.retried+1))
		if a.retried >= a.maxRetry {
			mux.recordDeadLetter(ctx, mux.log, strings.TrimPrefix(t.Type(), webhook.TaskTypePrefix), t.Payload(), nil, err)
		}
		return nil, err
	}
	a.route = route
	ev, err := webhook.Decode(t.Payload())
	if err != nil {
		mux.log.Error("undecodable task", zap.String("route", route.Name), zap.Error(err))
		mux.observe(route.Name, "", "dead_lettered", a.start)
		err = fmt.Errorf("%v: %w", err, asynq.SkipRetry)
		mux.recordDeadLetter(ctx, mux.log, route.Name, t.Payload(), nil, err)
		return nil, err
	}
	a.ev = ev
	traceID, _ := trace.Parse(t.Headers()[trace.Header])
	a.log = mux.log.With(zap.String("route", route.Name), zap.String("source", ev.Source),
		zap.String("event_id", ev.ID), zap.String("event_type", ev.Type), zap.Int("attempt", a.retried+1),
		zap.String("trace_id", traceID))
	return a, nil
}

// run calls the route's handler in a span of the event's trace, with the
// next hop's traceparent and (when history is kept) the result writer in ctx.
func (mux *Mux) run(ctx context.Context, a *attempt) error {
	tp := a.task.Headers()[trace.Header]
	ctx, down, endSpan := mux.tracer.Start(ctx, "task "+a.route.Name, tp, attribute.String("hookq.route", a.route.Name),
		attribute.String("hookq.event_id", a.ev.ID), attribute.Int("hookq.attempt", a.retried+1))
	if down == tp {
		down = trace.Child(tp) // no span of ours: give the next hop a parent id of its own
	}
	ctx = trace.NewContext(ctx, down)
	if mux.record {
		ctx = context.WithValue(ctx, resultKey{}, a.task.ResultWriter())
	}
	err := safeHandle(ctx, a.route.Handler, a.ev)
	endSpan(err)
	return err
}

// settle classifies the handler's error (a malformed payload never
// improves), records the outcome and copies a dead letter out before Asynq
// archives it. It returns what Asynq should see.
func (mux *Mux) settle(ctx context.Context, a *attempt, err error) error {
	elapsed := time.Since(a.start)
	if errors.Is(err, webhook.ErrMalformedPayload) && !errors.Is(err, asynq.SkipRetry) {
		err = fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	route, evType := a.route.Name, a.ev.Type
	switch {
	case err == nil:
		mux.observe(route, evType, "processed", a.start)
		a.log.Info("task done", zap.Duration("latency", elapsed))
		return nil
	case errors.Is(err, asynq.SkipRetry) || a.retried >= a.maxRetry:
		mux.observe(route, evType, "dead_lettered", a.start)
		a.log.Error("task dead-lettered", zap.Error(err), zap.Duration("latency", elapsed))
		mux.recordDeadLetter(ctx, a.log, route, a.task.Payload(), a.ev, err)
	default:
		mux.observe(route, evType, "retried", a.start)
		a.log.Warn("task failed, will retry", zap.Error(err), zap.Duration("latency", elapsed))
	}
	return err
}

func (mux *Mux) observe(route, eventType, outcome string, start time.Time) {
	if mux.m != nil {
		mux.m.Task(route, eventType, outcome, time.Since(start))
	}
}

// recordDeadLetter copies the task's payload out before Asynq archives it
// (ev is nil when the payload does not decode: the raw bytes are kept) and
// makes every trim visible: a metric and a log line per trimmed task or
// stream entry.
func (mux *Mux) recordDeadLetter(ctx context.Context, log *zap.Logger, route string, payload []byte, ev *webhook.Event, cause error) {
	if mux.dl == nil {
		return
	}
	id, _ := asynq.GetTaskID(ctx)
	trims, err := mux.dl.Record(context.WithoutCancel(ctx), webhook.DeadLetter{TaskID: id, Route: route, Payload: payload, Event: ev, Cause: cause})
	if err != nil {
		log.Error("could not copy dead-lettered event to the dead-letter stream", zap.String("task_id", id), zap.Error(err))
		return
	}
	for _, t := range trims.Archive {
		log.Warn("dead-letter queue full or expired: Asynq trims this archived task; its event stays in the dead-letter stream",
			zap.String("trimmed_task_id", t))
	}
	for _, e := range trims.Stream {
		log.Error("dead-letter stream over its bounds: its oldest entry is removed for good", zap.String("trimmed_entry", e))
	}
	if mux.m != nil {
		if len(trims.Archive) > 0 {
			qname, _ := asynq.GetQueueName(ctx) // the archive trimmed is the task's queue's
			mux.m.ArchiveTrimmed(qname, len(trims.Archive))
		}
		if len(trims.Stream) > 0 {
			mux.m.StreamTrimmed(len(trims.Stream))
		}
	}
}

// safeHandle turns a handler panic into a retryable error.
func safeHandle(ctx context.Context, h Handler, ev *webhook.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return h.Handle(ctx, ev)
}

// RetryDelay returns Asynq's RetryDelayFunc: the route's backoff, or the
// destination's Retry-After when longer; a deferral's short delay.
func (mux *Mux) RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	if full := (*routeFullError)(nil); errors.As(err, &full) {
		return full.delay()
	}
	b := mux.defBackoff
	if r, ok := mux.routes[t.Type()]; ok {
		b = r.Backoff
	} else if b == (Backoff{}) {
		return asynq.DefaultRetryDelayFunc(n, err, t)
	}
	d := b.Delay(n)
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > d {
		d = min(ra.After, b.Max)
	}
	return d
}

// Routes returns the route names the mux serves, for logs.
func (mux *Mux) Routes() string {
	names := make([]string, 0, len(mux.routes))
	for _, r := range mux.routes {
		names = append(names, r.Name)
	}
	return strings.Join(names, ",")
}
