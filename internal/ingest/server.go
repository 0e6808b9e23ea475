// Package ingest is the public HTTP side of hookq: a Gin engine whose one
// job is to turn a provider's POST into durably enqueued tasks, or a clear
// refusal, within milliseconds.
package ingest

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/trace"
	"github.com/hookq/hookq/internal/webhook"
)

// Enqueuer is the Redis side of ingest (queue.Enqueuer).
type Enqueuer interface {
	Enqueue(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate bool, err error)
}

// Spooler is an Enqueuer that, when Redis cannot take an event, may keep it
// on a durable local spool instead (spool.Spool); spooled reports that it did,
// and the answer says so.
type Spooler interface {
	Enqueuer
	EnqueueOrSpool(ctx context.Context, ev *webhook.Event, ttl time.Duration, tasks []webhook.Task, headers map[string]string) (duplicate, spooled bool, err error)
}

// Tokens remembers one-time signature tokens (queue.Tokens), shared by
// every ingest replica.
type Tokens interface {
	// Bind binds token to bodyHash for ttl. It returns an error wrapping
	// webhook.ErrInvalidSignature when the token is already bound to
	// another body (a replayed signature), or webhook.ErrQueueUnavailable when Redis does not answer.
	// Binding the same body again succeeds: that is a provider's retry.
	Bind(ctx context.Context, source, token string, bodyHash [32]byte, ttl time.Duration) error
}

// Metrics records what ingest saw. A nil Metrics records nothing.
type Metrics interface {
	// Request is called once per webhook request. source is "" when the
	// URL names no configured source.
	Request(source string, status int, outcome webhook.Outcome, elapsed time.Duration, bodyBytes int)
	// Redis is called once per dedupe+enqueue round trip.
	Redis(elapsed time.Duration, err error)
}

// Options are the server's limits. Zero values mean the defaults.
type Options struct {
	MaxBodyBytes int64         // default 1 MiB
	RedisTimeout time.Duration // default 2s; past it the request gets 503
	RetryAfter   time.Duration // Retry-After on 503; default 5s
	Tracer       *trace.Tracer // exports a span per request when set
	// MaxConcurrentReads bounds the request bodies read at once, and so the
	// memory they hold; past it a request gets 503 + Retry-After. Default 64.
	MaxConcurrentReads int
	// MaxInFlight bounds the requests past their body read (verify,
	// extract, dedupe+enqueue) at once, and so the work and the Redis
	// pipeline queue behind them; past it a request gets 503 + Retry-After
	// at once rather than waiting its turn. Default 128.
	MaxInFlight int
}

// NewServer returns the public handler. sources are keyed by name.
func NewServer(log *zap.Logger, sources map[string]*Source, enq Enqueuer, tokens Tokens, m Metrics, opt Options) http.Handler {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.RedisTimeout <= 0 {
		opt.RedisTimeout = 2 * time.Second
	}
	if opt.RetryAfter <= 0 {
		opt.RetryAfter = 5 * time.Second
	}
	if opt.MaxConcurrentReads <= 0 {
		opt.MaxConcurrentReads = 64
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 128
	}
	if m == nil {
		m = nopMetrics{}
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	addRoutes(r, log, sources, enq, tokens, m, opt)
	return r
}

type nopMetrics struct{}

func (nopMetrics) Request(string, int, webhook.Outcome, time.Duration, int) {}
func (nopMetrics) Redis(time.Duration, error)                               {}
