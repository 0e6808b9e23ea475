package queue_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// Concurrent requests share pipelined round trips, yet each is its own
// atomic script with its own answer: per event id exactly one delivery is
// accepted however the requests were batched, also when a batch holds
// several deliveries of one event, and also after Redis lost its scripts.
func TestPipelinedEnqueues(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	for round, flush := range []bool{false, true} {
		if flush {
			rdb.ScriptFlush(ctx) // every queued EVALSHA now meets NOSCRIPT
		}
		var accepted, dup atomic.Int32
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := "evt_r" + strconv.Itoa(round) + "_" + strconv.Itoa(i%50)
				out, err := q.Enqueue(ctx, event(id), time.Hour, twoRoutes, nil)
				switch {
				case err != nil:
					t.Error(err)
				case out:
					dup.Add(1)
				default:
					accepted.Add(1)
				}
			}()
		}
		wg.Wait()
		if accepted.Load() != 50 || dup.Load() != 150 {
			t.Fatalf("round %d: accepted=%d duplicate=%d, want 50 and 150", round, accepted.Load(), dup.Load())
		}
		if n := rdb.LLen(ctx, "asynq:{webhooks}:pending").Val(); n != int64(100*(round+1)) {
			t.Fatalf("round %d: pending = %d, want %d", round, n, 100*(round+1))
		}
	}
}

// A request whose deadline passes while it waits for a pipeline is answered
// with an error and never sent: no mark, no task, so the provider's retry
// is accepted.
func TestQueuedRequestPastDeadlineNeverSent(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer rdb.Close()
	q := queue.NewEnqueuer(rdb)
	srv.Stop() // every pipeline hangs
	var wg sync.WaitGroup
	for i := range 4 { // occupy every pipeline slot
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
			defer cancel()
			q.Enqueue(ctx, event("evt_slot"+strconv.Itoa(i)), time.Hour, twoRoutes, nil)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if _, err := q.Enqueue(ctx, event("evt_queued"+strconv.Itoa(i)), time.Hour, twoRoutes, nil); !errors.Is(err, webhook.ErrQueueUnavailable) {
				t.Errorf("queued request: err = %v", err)
			}
		}()
	}
	wg.Wait()
	srv.Cont()
	time.Sleep(200 * time.Millisecond)
	ctx := context.Background()
	for i := range 10 {
		if ok, err := queue.Marked(ctx, rdb, "stripe", "evt_queued"+strconv.Itoa(i), time.Hour); err != nil || ok {
			t.Fatalf("evt_queued%d has a mark: a request past its deadline was sent", i)
		}
		if out, err := q.Enqueue(ctx, event("evt_queued"+strconv.Itoa(i)), time.Hour, twoRoutes, nil); err != nil || out {
			t.Fatalf("retry of evt_queued%d = %v, %v; want accepted", i, out, err)
		}
	}
}
