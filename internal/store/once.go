package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrInProgress is returned by Once.Do while another run holds the key's
// lease. It is an ordinary (retryable) error: the task retries later and
// either finds the effect done or, if the other run died, takes over once
// its lease expires.
var ErrInProgress = errors.New("once: another run holds this key")

// Once runs side effects at most once per key to completion, across
// processes and Asynq's duplicate runs (crash recovery, lost leases,
// shutdown timeouts).
type Once struct {
	rdb    redis.UniversalClient
	lease  time.Duration // how long a run may hold a key; longer than any handler runs
	retain time.Duration // how long "done" is remembered; longer than the dedupe window plus retries
}

// NewOnce returns a Once. Zero durations mean 5m lease and 30 days retention.
func NewOnce(rdb redis.UniversalClient, lease, retain time.Duration) *Once {
	if lease <= 0 {
		lease = 5 * time.Minute
	}
	if retain <= 0 {
		retain = 30 * 24 * time.Hour
	}
	return &Once{rdb: rdb, lease: lease, retain: retain}
}

// finish marks the key done only if this run still holds it.
var finish = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], "done", "PX", ARGV[2])
  return 1
end
return 0`)

// release frees the key after a failed run, only if this run still holds it.
var release = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)

// Do runs fn unless a run for key already completed; ran reports whether fn
// ran (and succeeded) in this call. If fn fails the key is released so a
// retry runs it again. The one window left is a crash after fn's effect
// and before it is marked done: then a retry runs fn again, so pass the key
// on to the destination as an idempotency key where it accepts one.
func (o *Once) Do(ctx context.Context, key string, fn func(context.Context) error) (ran bool, err error) {
	k := Prefix + "once:" + key
	b := make([]byte, 12)
	rand.Read(b)
	token := "running:" + hex.EncodeToString(b)
	ok, err := o.rdb.SetNX(ctx, k, token, o.lease).Result()
	if err != nil {
		return false, fmt.Errorf("once %s: claim: %w", key, err)
	}
	if !ok {
		v, err := o.rdb.Get(ctx, k).Result()
		switch {
		case err == redis.Nil: // released between our SETNX and GET: let the retry claim it
			return false, ErrInProgress
		case err != nil:
			return false, fmt.Errorf("once %s: %w", key, err)
		case v == "done":
			return false, nil
		case strings.HasPrefix(v, "running:"):
			return false, ErrInProgress
		}
		return false, fmt.Errorf("once %s: unexpected state %q", key, v)
	}
	if err := fn(ctx); err != nil {
		release.Run(context.WithoutCancel(ctx), o.rdb, []string{k}, token)
		return false, err
	}
	n, err := finish.Run(context.WithoutCancel(ctx), o.rdb, []string{k}, token, o.retain.Milliseconds()).Int()
	if err != nil {
		return true, fmt.Errorf("once %s: mark done: %w", key, err)
	}
	if n == 0 {
		// fn outlived the lease: another run may have started. Say so
		// rather than claim an exactly-once that did not hold.
		return true, fmt.Errorf("once %s: lease expired while running; the effect may run again", key)
	}
	return true, nil
}

// Incr adds one to a counter (a deliberately non-idempotent effect, for
// the seed's receipts).
func (s *Redis) Incr(ctx context.Context, counter string) error {
	return s.rdb.Incr(ctx, Prefix+counter).Err()
}
