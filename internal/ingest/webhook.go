package ingest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// response is every JSON body the webhook route sends.
type response struct {
	Status    webhook.Outcome `json:"status,omitempty"`
	Error     webhook.Outcome `json:"error,omitempty"`
	Detail    string          `json:"detail,omitempty"`
	Source    string          `json:"source,omitempty"`
	EventID   string          `json:"event_id,omitempty"`
	EventType string          `json:"event_type,omitempty"`
	Spooled   bool            `json:"spooled,omitempty"` // durable on this replica's disk, not yet in Redis
}

// handleWebhook answers POST /webhooks/{source} in three steps: process
// the request into a result, respond with it, observe it (span, metrics,
// log). Business logic lives in the worker.
func handleWebhook(log *zap.Logger, sources map[string]*Source, enq Enqueuer, tokens Tokens, m Metrics, opt Options) gin.HandlerFunc {
	h := &webhookHandler{log: log, sources: sources, enq: enq, tokens: tokens, m: m, opt: opt,
		retryAfter: strconv.Itoa(int(opt.RetryAfter.Seconds())),
		reads:      make(chan struct{}, opt.MaxConcurrentReads),
		inFlight:   make(chan struct{}, opt.MaxInFlight)}
	return func(c *gin.Context) {
		start := time.Now()
		r := h.process(c, start)
		h.respond(c, &r)
		h.observe(&r, start)
	}
}

type webhookHandler struct {
	log        *zap.Logger
	sources    map[string]*Source
	enq        Enqueuer
	tokens     Tokens
	m          Metrics
	opt        Options
	retryAfter string
	// reads bounds bodies being read, inFlight requests past the read
	// (verify, extract, dedupe+enqueue). Both shed when full instead of
	// queueing: a provider's retry later beats an answer too late.
	reads, inFlight chan struct{}
}

// result is everything respond and observe need about one request.
type result struct {
	status  int
	outcome webhook.Outcome
	err     error
	ev      webhook.Event // Source, ID and Type as far as they are known
	bytes   int           // body bytes read
	answer  []byte        // a handshake's own response body
	spooled bool          // durable on the local spool, not yet in Redis
	span    span
	name    string // the source as the URL names it, known or not: for the log
}

func (r result) fail(err error) result {
	r.err = err
	r.status, r.outcome = statusOf(err)
	return r
}

func (r result) ok(o webhook.Outcome) result {
	r.status, r.outcome = http.StatusOK, o
	return r
}

// span is the request's trace span; end is nil until it starts.
type span struct {
	ctx         context.Context
	traceparent string // what goes downstream with the tasks
	end         func(error)
}

// process reads, in order: look up source → check the signature header is
// there → read the body under the limit → take an in-flight slot → verify →
// bind a one-time token to the body → handshake → extract id and type →
// dedupe+enqueue.
func (h *webhookHandler) process(c *gin.Context, start time.Time) result {
	r := h.run(c, start)
	if r.span.end == nil {
		// Refused before verification: a new trace, sampled at the
		// configured ratio, named after the source only if it is known.
		r.span = h.startSpan(c, r.ev.Source, "", start)
	}
	return r
}

func (h *webhookHandler) run(c *gin.Context, start time.Time) result {
	name := c.Param("source")
	src, known := h.sources[name]
	if !known {
		return result{name: name}.fail(webhook.ErrUnknownSource)
	}
	r := result{name: name, ev: webhook.Event{Source: name}}
	// No memory is committed to a request that cannot be genuine.
	if !hasAny(c.Request.Header, src.SignatureHeaders) {
		return r.fail(fmt.Errorf("%w: no %s header", webhook.ErrMissingSignature, src.SignatureHeaders[0]))
	}
	body, err := h.read(c.Request)
	r.bytes = len(body)
	if err != nil {
		return r.fail(err)
	}
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		return r.fail(fmt.Errorf("%w: %d requests already in flight", errBusy, cap(h.inFlight)))
	}
	req := &verify.Request{Header: c.Request.Header, Body: body, RawQuery: c.Request.URL.RawQuery, Now: start}
	if err := src.Verifier.Verify(req); err != nil {
		return r.fail(err)
	}
	// Only a verified request's traceparent may continue its trace (and
	// its sampled flag count).
	r.span = h.startSpan(c, name, c.GetHeader(trace.Header), start)
	if req.Token != "" {
		if err := h.bind(r.span.ctx, name, req, body); err != nil {
			return r.fail(err)
		}
	}
	if resp, ok, err := handshake(r.span.ctx, src.Verifier, req); err != nil {
		return r.fail(err)
	} else if ok {
		r.answer = resp
		return r.ok(webhook.OutcomeHandshake)
	}
	p := newPayload(body, src.Format)
	if r.ev.ID, err = p.eventID(c.Request.Header, src.EventID, req.Signed); err != nil {
		return r.fail(err)
	}
	if r.ev.Type, err = p.eventType(c.Request.Header, src.EventType); err != nil {
		return r.fail(err)
	}
	tasks := src.tasksFor(r.ev.Type, c.Request.Header)
	if len(tasks) == 0 {
		return r.ok(webhook.OutcomeIgnored)
	}
	// The whole header, parameters included: forward passes it on as sent.
	r.ev.Body, r.ev.ContentType, r.ev.ReceivedAt, r.ev.VerifiedBy = body, c.GetHeader("Content-Type"), start.UTC(), src.Type
	r.ev.BodyIsJSON = p.isJSON()
	dup, spooled, err := h.enqueue(r.span, &r.ev, src.DedupeTTL, tasks)
	r.spooled = spooled
	switch {
	case err != nil:
		return r.fail(err)
	case dup:
		return r.ok(webhook.OutcomeDuplicate)
	default:
		return r.ok(webhook.OutcomeAccepted)
	}
}

func (h *webhookHandler) startSpan(c *gin.Context, source, parent string, at time.Time) span {
	name, attrs := "webhook", []attribute.KeyValue(nil)
	if source != "" {
		name, attrs = "webhook "+source, []attribute.KeyValue{attribute.String("hookq.source", source)}
	}
	ctx, tp, end := h.opt.Tracer.StartAt(c.Request.Context(), name, parent, at, attrs...)
	return span{ctx: ctx, traceparent: tp, end: end}
}

// read takes a body-read slot, or refuses at once when none is free.
func (h *webhookHandler) read(r *http.Request) ([]byte, error) {
	select {
	case h.reads <- struct{}{}:
	default:
		return nil, fmt.Errorf("%w: %d bodies already being read", errBusy, cap(h.reads))
	}
	defer func() { <-h.reads }()
	return readBody(r, h.opt.MaxBodyBytes)
}

// bind binds the request's one-time token to its body.
func (h *webhookHandler) bind(ctx context.Context, source string, req *verify.Request, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.opt.RedisTimeout)
	defer cancel()
	t0 := time.Now()
	err := h.tokens.Bind(ctx, source, req.Token, sha256.Sum256(body), req.TokenTTL)
	h.m.Redis(time.Since(t0), err)
	return err
}

// enqueue runs dedupe+enqueue, through the spool when the enqueuer has one.
func (h *webhookHandler) enqueue(sp span, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task) (dup, spooled bool, err error) {
	ctx, cancel := context.WithTimeout(sp.ctx, h.opt.RedisTimeout)
	defer cancel()
	headers := map[string]string{trace.Header: sp.traceparent}
	t0 := time.Now()
	if s, ok := h.enq.(Spooler); ok {
		dup, spooled, err = s.EnqueueOrSpool(ctx, ev, ttl, tasks, headers)
	} else {
		dup, err = h.enq.Enqueue(ctx, ev, ttl, tasks, headers)
	}
	h.m.Redis(time.Since(t0), err)
	return dup, spooled, err
}

// respond writes the answer: a handshake's own body, the refusal's code,
// or the outcome.
func (h *webhookHandler) respond(c *gin.Context, r *result) {
	switch {
	case r.answer != nil:
		c.Data(r.status, "application/json; charset=utf-8", r.answer)
	case r.err != nil:
		if r.status == http.StatusServiceUnavailable {
			c.Header("Retry-After", h.retryAfter)
		}
		resp := response{Error: r.outcome, Source: r.ev.Source, EventID: r.ev.ID, EventType: r.ev.Type}
		if r.status == http.StatusBadRequest {
			resp.Detail = detail(r.err)
		}
		c.JSON(r.status, resp)
	default:
		c.JSON(r.status, response{Status: r.outcome, Source: r.ev.Source, EventID: r.ev.ID, EventType: r.ev.Type, Spooled: r.spooled})
	}
}

// observe ends the span and records the request in metrics and the log.
func (h *webhookHandler) observe(r *result, start time.Time) {
	r.span.end(r.err)
	elapsed := time.Since(start)
	h.m.Request(r.ev.Source, r.status, r.outcome, elapsed, r.bytes)
	level := zapcore.InfoLevel
	if r.status >= 500 {
		level = zapcore.WarnLevel
	}
	// Check first: under load most info lines are sampled away, and then
	// no field is built.
	ce := h.log.Check(level, "webhook")
	if ce == nil {
		return
	}
	fields := []zap.Field{zap.String("source", r.name), zap.String("event_id", r.ev.ID), zap.String("event_type", r.ev.Type),
		zap.Int("status", r.status), zap.String("reason", string(r.outcome)), zap.Duration("latency", elapsed), zap.Int("bytes", r.bytes),
		zap.String("trace_id", trace.TraceID(r.span.traceparent))}
	if r.spooled {
		fields = append(fields, zap.Bool("spooled", true))
	}
	switch {
	case r.status >= 500:
		fields = append(fields, zap.Error(r.err))
	case r.err != nil:
		fields = append(fields, zap.String("error", r.err.Error()))
	}
	ce.Write(fields...)
}

func hasAny(h http.Header, names []string) bool {
	if len(names) == 0 {
		return true // the signature travels in the body (Mailgun)
	}
	for _, n := range names {
		if h.Get(n) != "" {
			return true
		}
	}
	return false
}

// firstAlloc caps the buffer readBody commits before bytes arrive: a
// declared Content-Length is a claim by a stranger, not memory to reserve.
const firstAlloc = 16 << 10

// readBody reads at most limit bytes. A declared Content-Length over the
// limit is refused before reading anything; a chunked body is cut off as
// soon as it crosses the limit. The buffer grows as bytes arrive.
// io.LimitReader rather than http.MaxBytesReader: MaxBytesReader's one
// extra, closing the connection, needs net/http's own ResponseWriter, which
// Gin's wrapper hides; and here the limit becomes ErrBodyTooLarge directly.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length %d over %d", webhook.ErrBodyTooLarge, r.ContentLength, limit)
	}
	size := r.ContentLength
	if size < 0 {
		size = 512
	}
	buf := make([]byte, 0, min(size+1, firstAlloc))
	lr := io.LimitReader(r.Body, limit+1)
	for {
		if len(buf) == cap(buf) {
			// Grow to at most the declared length (+1 to see EOF), so a
			// truthful Content-Length costs no over-allocation.
			next := max(2*cap(buf), 512)
			if r.ContentLength >= 0 {
				next = min(next, int(r.ContentLength)+1)
			}
			if next <= cap(buf) {
				next = cap(buf) + 512
			}
			buf = append(make([]byte, 0, next), buf...)
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: over %d bytes", webhook.ErrBodyTooLarge, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: reading body: %v", webhook.ErrMalformedPayload, err)
		}
	}
}

func keepHeaders(h http.Header, names []string) map[string]string {
	if len(names) == 0 {
		return nil
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		if v := h.Get(n); v != "" {
			out[http.CanonicalHeaderKey(n)] = v
		}
	}
	return out
}

// detail is the non-secret part of a 400's cause, for the response body.
func detail(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.Is(e, webhook.ErrMalformedPayload) && e != webhook.ErrMalformedPayload {
			s := e.Error()
			if len(s) > 200 {
				s = s[:200]
			}
			return s
		}
	}
	return ""
}
