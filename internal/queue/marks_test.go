package queue_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

var oneRoute = []webhook.Task{{Route: "app", MaxRetry: 3, Timeout: 15 * time.Second}}

// wantPending fails t unless the unsharded queue holds n pending tasks.
func wantPending(t *testing.T, rdb *redis.Client, n int64, when string) {
	t.Helper()
	if got := rdb.LLen(context.Background(), queue.PendingKey(queue.Queue)).Val(); got != n {
		t.Fatalf("%s: pending = %d, want %d", when, got, n)
	}
}

// A retry of an attempt whose answer was lost (same nonce) is answered
// accepted without a second task; another delivery of the event (another
// nonce) is a duplicate.
func TestMarkNonceRetry(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	nonce := queue.NewNonce()
	for i := range 2 {
		if dup, err := q.Enqueue(queue.WithNonce(ctx, nonce), event("evt_n"), time.Hour, oneRoute, nil); err != nil || dup {
			t.Fatalf("attempt %d with the accepting nonce: dup %v, %v", i, dup, err)
		}
	}
	if dup, err := q.Enqueue(queue.WithNonce(ctx, queue.NewNonce()), event("evt_n"), time.Hour, oneRoute, nil); err != nil || !dup {
		t.Fatalf("another delivery: dup %v, %v", dup, err)
	}
	wantPending(t, rdb, 1, "after both deliveries")
	// A retry still recognises its nonce once the task is gone (done):
	// the mark alone answers.
	if err := asynq.NewInspectorFromRedisClient(rdb).DeleteTask(queue.Queue, webhook.TaskID("stripe", "app", "evt_n")); err != nil {
		t.Fatal(err)
	}
	if dup, err := q.Enqueue(queue.WithNonce(ctx, nonce), event("evt_n"), time.Hour, oneRoute, nil); err != nil || dup {
		t.Fatalf("retry after the task finished: dup %v, %v", dup, err)
	}
	wantPending(t, rdb, 0, "after the retry of a finished task")
}

// The window is honoured: a delivery is a duplicate for at least the window
// (across bucket boundaries), accepted again once 1.25 × the window has
// passed, and the buckets are gone by then.
func TestMarkWindow(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	const window = 400 * time.Millisecond
	ids := []string{"evt_w0", "evt_w1", "evt_w2", "evt_w3"}
	accepted := make([]time.Time, len(ids))
	start := time.Now()
	for i, id := range ids { // written in different buckets (100 ms wide)
		time.Sleep(time.Until(start.Add(time.Duration(i) * 60 * time.Millisecond)))
		accepted[i] = time.Now()
		if dup, err := q.Enqueue(ctx, event(id), window, oneRoute, nil); err != nil || dup {
			t.Fatalf("%s: dup %v, %v", id, dup, err)
		}
		// Only the mark may answer duplicate from now on.
		if err := insp.DeleteTask(queue.Queue, webhook.TaskID("stripe", "app", id)); err != nil {
			t.Fatal(err)
		}
	}
	written := time.Now()
	for checked := true; checked; time.Sleep(20 * time.Millisecond) {
		checked = false
		for i, id := range ids {
			at := time.Now()
			if at.Sub(accepted[i]) >= window*9/10 {
				continue
			}
			checked = true
			dup, err := q.Enqueue(ctx, event(id), window, oneRoute, nil)
			if err != nil || !dup {
				t.Fatalf("%s %v after its acceptance (window %v): dup %v, %v", id, at.Sub(accepted[i]), window, dup, err)
			}
		}
	}
	time.Sleep(time.Until(written.Add(window * 5 / 4)))
	if keys := rdb.Keys(ctx, "hookq:*:marks:*").Val(); len(keys) != 0 {
		t.Fatalf("buckets left after 1.25 × the window: %v", keys)
	}
	for _, id := range ids {
		if dup, err := q.Enqueue(ctx, event(id), window, oneRoute, nil); err != nil || dup {
			t.Fatalf("%s after the window: dup %v, %v", id, dup, err)
		}
	}
}

// Marks written before the bucketed layout (one key per event) still count
// until they expire, nonce included.
func TestMarkLegacyKey(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	rdb.Set(ctx, "hookq:{webhooks}:seen:stripe:evt_old", "42", time.Hour)
	if dup, err := q.Enqueue(queue.WithNonce(ctx, "7"), event("evt_old"), time.Hour, oneRoute, nil); err != nil || !dup {
		t.Fatalf("another nonce: dup %v, %v", dup, err)
	}
	if dup, err := q.Enqueue(queue.WithNonce(ctx, "42"), event("evt_old"), time.Hour, oneRoute, nil); err != nil || dup {
		t.Fatalf("its own nonce: dup %v, %v", dup, err)
	}
	if seen, err := q.Seen(ctx, "stripe", "evt_old", time.Hour, nil); err != nil || !seen {
		t.Fatalf("Seen: %v, %v", seen, err)
	}
	wantPending(t, rdb, 0, "after legacy marks answered")
}

// Many marks of one source stay listpack-encoded (the compact form the
// layout is for) with Redis's default limits, and Seen finds each.
func TestMarkBucketsCompact(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	const n = 3000
	for i := range n {
		if dup, err := q.Enqueue(ctx, event("evt_"+strconv.Itoa(i)), time.Hour, oneRoute, nil); err != nil || dup {
			t.Fatalf("%d: dup %v, %v", i, dup, err)
		}
	}
	rdb.Del(ctx, queue.PendingKey(queue.Queue))
	keys := rdb.Keys(ctx, "hookq:*:marks:*").Val()
	fields := 0
	for _, k := range keys {
		if enc := rdb.ObjectEncoding(ctx, k).Val(); enc != "listpack" {
			t.Fatalf("%s is %s", k, enc)
		}
		fields += int(rdb.HLen(ctx, k).Val())
	}
	if fields != n || len(keys) > 2*256 {
		t.Fatalf("%d marks in %d buckets", fields, len(keys))
	}
	for _, i := range []int{0, 1234, n - 1} {
		if seen, err := q.Seen(ctx, "stripe", "evt_"+strconv.Itoa(i), time.Hour, nil); err != nil || !seen {
			t.Fatalf("Seen evt_%d: %v, %v", i, seen, err)
		}
	}
	if seen, err := q.Seen(ctx, "stripe", "evt_"+strconv.Itoa(n), time.Hour, nil); err != nil || seen {
		t.Fatalf("Seen of an unseen event: %v, %v", seen, err)
	}
}
