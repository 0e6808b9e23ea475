package worker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Limiter bounds how many of a route's handlers run at once across every
// worker process (routes[].max_in_flight).
type Limiter interface {
	// Acquire takes one of route's n slots for holder until the lease
	// expires at until. ok is false when all n are held; release gives the
	// slot back (it is safe to call once, from any goroutine).
	Acquire(ctx context.Context, route string, n int, holder string, until time.Time) (release func(), ok bool, err error)
}

// InflightKey is the sorted set of a route's leases: member holder, score
// the lease's expiry in Redis milliseconds. The braces make it one Cluster
// slot per route.
func InflightKey(route string) string { return "hookq:inflight:{" + route + "}" }

// acquireScript takes a lease when fewer than ARGV[1] unexpired leases are
// held. Expired leases (a worker killed by -9, a lost release) are dropped
// first, so a crash costs a slot only until its task's deadline. Time is
// Redis's own (TIME), so workers' clocks never disagree about expiry. One key:
// Cluster-safe.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl + 1000 then
  redis.call('PEXPIRE', KEYS[1], ttl + 1000) -- an idle route leaves no key behind
end
return 1
`)

// RedisLimiter is a Limiter on a Redis lease semaphore per route.
type RedisLimiter struct {
	rdb redis.UniversalClient
}

// NewLimiter returns a Limiter on rdb (a single node, Sentinel or Cluster client).
func NewLimiter(rdb redis.UniversalClient) *RedisLimiter { return &RedisLimiter{rdb: rdb} }

// Acquire implements Limiter. The lease lasts until until: the task's
// deadline, after which Asynq has cancelled the handler anyway.
func (l *RedisLimiter) Acquire(ctx context.Context, route string, n int, holder string, until time.Time) (func(), bool, error) {
	ttl := time.Until(until).Milliseconds()
	if ttl < 1 {
		ttl = 1
	}
	key := InflightKey(route)
	member := holder + "/" + token() // a second run of one task (after a shutdown timeout) holds its own lease
	got, err := acquireScript.Run(ctx, l.rdb, []string{key}, n, member, ttl).Int()
	if err != nil || got == 0 {
		return nil, false, err
	}
	return func() {
		// Not the handler's ctx: it may be cancelled, and the slot must go back.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// A failed release costs the slot until the lease expires, no more.
		l.rdb.ZRem(ctx, key, member)
	}, true, nil
}

func token() string { return strconv.FormatUint(rand.Uint64(), 36) }

// routeFullError defers a task whose route has max_in_flight handlers
// running. It is not a failure (Mux.IsFailure), so Asynq moves the task to
// its retry set without counting an attempt, and the worker slot is free at
// once.
type routeFullError struct {
	route string
	n     int
}

func (e *routeFullError) Error() string {
	return fmt.Sprintf("route %s: %d deliveries in flight (max_in_flight), deferred", e.route, e.n)
}

// ErrRouteFull matches (errors.Is) the error of a deferred task.
var ErrRouteFull = errors.New("route full")

func (e *routeFullError) Is(target error) bool { return target == ErrRouteFull }

// DeferDelay is the shortest wait of a deferred task before it is fetched
// again; each deferral waits a random duration in [DeferDelay, 2·DeferDelay)
// so deferred tasks do not come back in step. Asynq schedules retries to the
// second, so shorter would not be sooner.
const DeferDelay = time.Second

func deferDelay() time.Duration { return DeferDelay + rand.N(DeferDelay) }

// IsFailure is Asynq's Config.IsFailure: a deferral (the route was full) is
// no failure, so it neither spends the task's retries nor counts as failed.
func IsFailure(err error) bool { return !errors.Is(err, ErrRouteFull) }

// finalPoll is how often a task on its last attempt asks again for a slot.
const finalPoll = 100 * time.Millisecond

// admit takes a slot of a bounded route for the attempt, or says why not.
//
// At-least-once: a deferred task never leaves Redis. The handler returns
// routeFullError; Asynq's processor then runs its Retry script, which in one
// step removes the task from active and adds it to the retry set with its
// retry count unchanged (IsFailure false), and the forwarder makes it pending
// again. A worker killed before that leaves the task active under its lease,
// and Asynq's recoverer retries it as after any crash.
//
// The exception is a task on its last attempt (retried >= max retry): Asynq
// archives any error of that attempt, IsFailure or not (processor.go,
// handleFailedMessage, v0.26.0), and RevokeTask would delete it. So that
// attempt waits for a slot while holding its worker slot, for the time its
// deadline leaves beyond the handler's own timeout; still full after that, it
// is dead-lettered with the "deferred" cause (copy in the dead-letter stream,
// re-runnable).
func (mux *Mux) admit(ctx context.Context, a *attempt) (release func(), err error) {
	r := a.route
	if r.MaxInFlight <= 0 || mux.limiter == nil {
		return func() {}, nil
	}
	until, ok := ctx.Deadline()
	if !ok {
		until = time.Now().Add(r.Timeout + time.Minute)
	}
	id, _ := asynq.GetTaskID(ctx)
	final := a.retried >= a.maxRetry
	waitUntil := until.Add(-r.Timeout)
	for {
		release, ok, err := mux.limiter.Acquire(ctx, r.Name, r.MaxInFlight, id, until)
		if err != nil {
			// Redis trouble: run unbounded rather than dead-letter or stall
			// an event over a limit that only protects capacity.
			mux.log.Warn("max_in_flight not checked, running unbounded", zap.String("route", r.Name), zap.Error(err))
			return func() {}, nil
		}
		if ok {
			return release, nil
		}
		if !final || time.Now().Add(finalPoll).After(waitUntil) {
			return nil, &routeFullError{route: r.Name, n: r.MaxInFlight}
		}
		select {
		case <-ctx.Done():
			return nil, &routeFullError{route: r.Name, n: r.MaxInFlight}
		case <-time.After(finalPoll):
		}
	}
}
