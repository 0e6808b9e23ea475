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

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// response is every JSON body the webhook route sends.
type response struct {
	Status    string `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Source    string `json:"source,omitempty"`
	EventID   string `json:"event_id,omitempty"`
	EventType string `json:"event_type,omitempty"`
	Spooled   bool   `json:"spooled,omitempty"` // durable on this replica's disk, not yet in Redis
}

// handleWebhook reads, in order: look up source → check the signature
// header is there → read the body under the limit → verify → bind a one-time
// token to the body → handshake → extract id and type → dedupe+enqueue →
// respond. Business logic lives in the worker.
func handleWebhook(log *zap.Logger, sources map[string]*Source, enq Enqueuer, tokens Tokens, m Metrics, opt Options) gin.HandlerFunc {
	retryAfter := strconv.Itoa(int(opt.RetryAfter.Seconds()))
	reads := make(chan struct{}, opt.MaxConcurrentReads)
	return func(c *gin.Context) {
		start := time.Now()
		name := c.Param("source")
		src, known := sources[name]
		// The span starts once the request is verified: only then may the
		// sender's traceparent continue its trace (and its sampled flag
		// count); anything refused is a new trace sampled at the configured
		// ratio. It is named after the source only once the source is known,
		// so a stranger's URL never names a span.
		reqCtx, tp, endSpan := c.Request.Context(), "", func(error) {}
		started := false
		startSpan := func(parent string) {
			spanName, attrs := "webhook", []attribute.KeyValue(nil)
			if known {
				spanName, attrs = "webhook "+name, []attribute.KeyValue{attribute.String("hookq.source", name)}
			}
			reqCtx, tp, endSpan = opt.Tracer.StartAt(c.Request.Context(), spanName, parent, start, attrs...)
			started = true
		}
		var body []byte
		var spooled bool
		ev := &webhook.Event{Source: name}
		status, reason, raw, err := func() (int, string, []byte, error) {
			if !known {
				ev.Source = ""
				return 0, "", nil, webhook.ErrUnknownSource
			}
			// No memory is committed to a request that cannot be genuine.
			if !hasAny(c.Request.Header, src.SignatureHeaders) {
				return 0, "", nil, fmt.Errorf("%w: no %s header", webhook.ErrMissingSignature, src.SignatureHeaders[0])
			}
			select {
			case reads <- struct{}{}:
			default:
				return 0, "", nil, fmt.Errorf("%w: %d bodies already being read", errBusy, cap(reads))
			}
			var err error
			body, err = readBody(c.Request, opt.MaxBodyBytes)
			<-reads
			if err != nil {
				return 0, "", nil, err
			}
			req := &verify.Request{Header: c.Request.Header, Body: body, RawQuery: c.Request.URL.RawQuery, Now: start}
			if err := src.Verifier.Verify(req); err != nil {
				return 0, "", nil, err
			}
			startSpan(c.GetHeader(trace.Header))
			if req.Token != "" {
				ctx, cancel := context.WithTimeout(reqCtx, opt.RedisTimeout)
				defer cancel()
				t0 := time.Now()
				err := tokens.Bind(ctx, name, req.Token, sha256.Sum256(body), req.TokenTTL)
				m.Redis(time.Since(t0), err)
				if err != nil {
					return 0, "", nil, err
				}
			}
			if resp, ok, err := handshake(reqCtx, src.Verifier, req); err != nil {
				return 0, "", nil, err
			} else if ok {
				return http.StatusOK, "handshake", resp, nil
			}
			p := newPayload(body, src.Format)
			if ev.ID, err = p.eventID(c.Request.Header, src.EventID, req.Signed); err != nil {
				return 0, "", nil, err
			}
			if ev.Type, err = p.eventType(c.Request.Header, src.EventType); err != nil {
				return 0, "", nil, err
			}
			tasks := src.tasksFor(ev.Type, c.Request.Header)
			if len(tasks) == 0 {
				return http.StatusOK, "ignored", nil, nil
			}
			// The whole header, parameters included: forward passes it on as sent.
			ev.Body, ev.ContentType, ev.ReceivedAt, ev.VerifiedBy = body, c.GetHeader("Content-Type"), start.UTC(), src.Type
			ctx, cancel := context.WithTimeout(reqCtx, opt.RedisTimeout)
			defer cancel()
			t0 := time.Now()
			dup, err := enqueue(ctx, enq, ev, src.DedupeTTL, tasks, map[string]string{trace.Header: tp}, &spooled)
			m.Redis(time.Since(t0), err)
			if err != nil {
				return 0, "", nil, err
			}
			if dup {
				return http.StatusOK, "duplicate", nil, nil
			}
			return http.StatusOK, "accepted", nil, nil
		}()

		if !started {
			startSpan("")
		}
		switch {
		case err != nil:
			status, reason = statusOf(err)
			if status == http.StatusServiceUnavailable {
				c.Header("Retry-After", retryAfter)
			}
			resp := response{Error: reason, Source: ev.Source, EventID: ev.ID, EventType: ev.Type}
			if status == http.StatusBadRequest {
				resp.Detail = detail(err)
			}
			c.JSON(status, resp)
		case raw != nil:
			c.Data(status, "application/json; charset=utf-8", raw)
		default:
			c.JSON(status, response{Status: reason, Source: ev.Source, EventID: ev.ID, EventType: ev.Type, Spooled: spooled})
		}
		endSpan(err)
		elapsed := time.Since(start)
		m.Request(ev.Source, status, reason, elapsed, len(body))
		fields := []zap.Field{zap.String("source", name), zap.String("event_id", ev.ID), zap.String("event_type", ev.Type),
			zap.Int("status", status), zap.String("reason", reason), zap.Duration("latency", elapsed), zap.Int("bytes", len(body)), zap.String("trace_id", traceID(tp))}
		if spooled {
			fields = append(fields, zap.Bool("spooled", true))
		}
		switch {
		case status >= 500:
			log.Warn("webhook", append(fields, zap.Error(err))...)
		case err != nil:
			log.Info("webhook", append(fields, zap.String("error", err.Error()))...)
		default:
			log.Info("webhook", fields...)
		}
	}
}

// enqueue uses the spool when enq has one; *spooled reports that it did.
func enqueue(ctx context.Context, enq Enqueuer, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string, spooled *bool) (bool, error) {
	if s, ok := enq.(Spooler); ok {
		dup, sp, err := s.EnqueueOrSpool(ctx, ev, ttl, tasks, headers)
		*spooled = sp
		return dup, err
	}
	return enq.Enqueue(ctx, ev, ttl, tasks, headers)
}

func traceID(tp string) string {
	if id, ok := trace.Parse(tp); ok {
		return id
	}
	return ""
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
