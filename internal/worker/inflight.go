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
	// Acquire takes one of route's n slots for holder (a task id) until the
	// lease expires at until, and returns release to give it back (safe to
	// call once, from any goroutine). When all n are held, release is nil
	// and retryIn says when to ask again.
	Acquire(ctx context.Context, route string, n int, holder string, until time.Time) (release func(), retryIn time.Duration, err error)
}

// InflightKey is the sorted set of a route's leases: member holder, score
// the lease's expiry in Redis milliseconds. Its two companions share its
// hash tag, so all three live in one Cluster slot: the route's waiting
// tasks (score: when each is due back, plus slack) and the mean time a lease
// is held.
func InflightKey(route string) string { return "hookq:inflight:{" + route + "}" }

func waitingKey(route string) string { return InflightKey(route) + ":waiting" }
func holdKey(route string) string    { return InflightKey(route) + ":hold" }

// Deferral bounds: a deferred task comes back after at least MinDefer and
// at most maxDefer. Asynq schedules retries to the second, so shorter than
// MinDefer would not be sooner.
const (
	MinDefer = time.Second
	maxDefer = 30 * time.Second
)

// acquireScript takes a lease when fewer than ARGV[1] unexpired leases are
// held. Expired leases (a worker killed by -9, a lost release) are dropped
// first, so a crash costs a slot only until its task's deadline. Time is
// Redis's own (TIME), so workers' clocks never disagree about expiry.
//
// When the route is full it records the task as waiting and returns how
// long it should stay away: the waiting tasks times the mean hold over the
// slots, halved, so that the tasks coming back keep every slot fed (twice
// over) without the whole backlog cycling through the queue every second.
// A hung destination (hold = its timeout) with 200 waiting tasks then sees
// about seven returns a second, not two hundred.
//
// KEYS: leases, waiting, hold. ARGV: n, lease member, lease ms, task id,
// min and max deferral ms. Returns {1, now} or {0, deferral ms}.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, ttl = tonumber(ARGV[1]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < n then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[4])
  if redis.call('PTTL', KEYS[1]) < ttl + 1000 then
    redis.call('PEXPIRE', KEYS[1], ttl + 1000) -- an idle route leaves no key behind
  end
  return {1, now}
end
local waiting = redis.call('ZCARD', KEYS[2]) + 1
local hold = tonumber(redis.call('HGET', KEYS[3], 'ms') or '0')
local d = math.floor(waiting * hold / n / 2)
d = math.max(tonumber(ARGV[5]), math.min(d, tonumber(ARGV[6])))
redis.call('ZADD', KEYS[2], now + 2 * d + 5000, ARGV[4])
if redis.call('PTTL', KEYS[2]) < 2 * d + 5000 then
  redis.call('PEXPIRE', KEYS[2], 2 * d + 5000)
end
return {0, d}
`)

// releaseScript drops a lease and folds how long it was held (ARGV[2]: when
// it was taken, Redis ms) into the route's mean hold (weight 1/5).
var releaseScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local t = redis.call('TIME')
local held = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[2])
local mean = tonumber(redis.call('HGET', KEYS[2], 'ms') or held)
redis.call('HSET', KEYS[2], 'ms', math.floor(mean * 0.8 + held * 0.2))
redis.call('PEXPIRE', KEYS[2], 3600000)
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
func (l *RedisLimiter) Acquire(ctx context.Context, route string, n int, holder string, until time.Time) (func(), time.Duration, error) {
	ttl := max(1, time.Until(until).Milliseconds())
	keys := []string{InflightKey(route), waitingKey(route), holdKey(route)}
	member := holder + "/" + token() // a second run of one task (after a shutdown timeout) holds its own lease
	res, err := acquireScript.Run(ctx, l.rdb, keys, n, member, ttl, holder,
		MinDefer.Milliseconds(), maxDefer.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, 0, err
	}
	if len(res) != 2 {
		return nil, 0, fmt.Errorf("max_in_flight script: unexpected answer %v", res)
	}
	if res[0] == 0 {
		return nil, time.Duration(res[1]) * time.Millisecond, nil
	}
	taken := res[1]
	return func() {
		// Not the handler's ctx: it may be cancelled, and the slot must go back.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// A failed release costs the slot until the lease expires, no more.
		releaseScript.Run(ctx, l.rdb, []string{keys[0], keys[2]}, member, taken)
	}, 0, nil
}

func token() string { return strconv.FormatUint(rand.Uint64(), 36) }

// routeFullError defers a task whose route has max_in_flight handlers
// running. It is not a failure (Mux.IsFailure), so Asynq moves the task to
// its retry set without counting an attempt, and the worker slot is free at
// once.
type routeFullError struct {
	route string
	n     int
	after time.Duration // the limiter's advice
}

func (e *routeFullError) Error() string {
	return fmt.Sprintf("route %s: %d deliveries in flight (max_in_flight), deferred", e.route, e.n)
}

// ErrRouteFull matches (errors.Is) the error of a deferred task.
var ErrRouteFull = errors.New("route full")

func (e *routeFullError) Is(target error) bool { return target == ErrRouteFull }

// delay is the limiter's advice plus up to half again, so deferred tasks
// do not come back in step.
func (e *routeFullError) delay() time.Duration {
	d := max(e.after, MinDefer)
	return d + rand.N(d/2+1)
}

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
		release, retryIn, err := mux.limiter.Acquire(ctx, r.Name, r.MaxInFlight, id, until)
		if err != nil {
			// Redis trouble: run unbounded rather than dead-letter or stall
			// an event over a limit that only protects capacity.
			mux.log.Warn("max_in_flight not checked, running unbounded", zap.String("route", r.Name), zap.Error(err))
			return func() {}, nil
		}
		if release != nil {
			return release, nil
		}
		full := &routeFullError{route: r.Name, n: r.MaxInFlight, after: retryIn}
		if !final || time.Now().Add(finalPoll).After(waitUntil) {
			return nil, full
		}
		select {
		case <-ctx.Done():
			return nil, full
		case <-time.After(finalPoll):
		}
	}
}
