package queue_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// newEnqueuer is an Enqueuer on a private Redis, and a client to that Redis.
func newEnqueuer(t *testing.T) (*redis.Client, *queue.Enqueuer) {
	t.Helper()
	rdb := redistest.Client(t)
	return rdb, queue.NewEnqueuer(rdb)
}

func event(id string) *webhook.Event {
	return &webhook.Event{Source: "stripe", ID: id, Type: "payment_intent.succeeded",
		Body: []byte(`{"id":"` + id + `", "type":"payment_intent.succeeded"}`), ContentType: "application/json",
		ReceivedAt: time.Unix(1_750_000_000, 0).UTC(), VerifiedBy: "stripe"}
}

var twoRoutes = []webhook.Task{{Route: "app", MaxRetry: 3, Timeout: 15 * time.Second}, {Route: "audit", MaxRetry: 0, Timeout: time.Second}}

// Tasks written by the script must be exactly what Asynq itself reads:
// the Inspector decodes them and a real Server processes them.
func TestCompatibleWithAsynq(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ev := event("evt_compat")
	out, err := q.Enqueue(context.Background(), ev, time.Hour, twoRoutes, map[string]string{"traceparent": "00-abc-def-01"})
	if err != nil || out {
		t.Fatalf("Enqueue = %v, %v", out, err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID("stripe", "app", "evt_compat"))
	if err != nil {
		t.Fatalf("GetTaskInfo: %v", err)
	}
	if diff := cmp.Diff([]any{"hookq:app", queue.Queue, 3, 15 * time.Second, asynq.TaskStatePending},
		[]any{info.Type, info.Queue, info.MaxRetry, info.Timeout, info.State}); diff != "" {
		t.Fatalf("task info (-want +got):\n%s", diff)
	}
	queues, _ := insp.Queues()
	if diff := cmp.Diff([]string{queue.Queue}, queues); diff != "" {
		t.Fatalf("queues (-want +got):\n%s", diff)
	}

	var mu sync.Mutex
	got := map[string]*webhook.Event{}
	var headers map[string]string
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{queue.Queue: 1}, Concurrency: 2,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	done := make(chan struct{}, 2)
	err = server.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		e, err := webhook.Decode(task.Payload())
		if err != nil {
			return err
		}
		mu.Lock()
		got[task.Type()] = e
		headers = task.Headers()
		mu.Unlock()
		done <- struct{}{}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Shutdown()
	for i := 0; i < 2; i++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("asynq server did not process both tasks")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, typ := range []string{"hookq:app", "hookq:audit"} {
		e := got[typ]
		if e == nil {
			t.Fatalf("no task %s processed", typ)
		}
		if !bytes.Equal(e.Body, ev.Body) || e.ID != ev.ID || e.Type != ev.Type || !e.ReceivedAt.Equal(ev.ReceivedAt) {
			t.Fatalf("%s: event changed in transit: %+v", typ, e)
		}
	}
	if diff := cmp.Diff(map[string]string{"traceparent": "00-abc-def-01"}, headers); diff != "" {
		t.Fatalf("headers (-want +got):\n%s", diff)
	}
}

func TestDuplicate(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	if out, err := q.Enqueue(ctx, event("evt_1"), time.Hour, twoRoutes, nil); err != nil || out {
		t.Fatalf("first = %v, %v", out, err)
	}
	if out, err := q.Enqueue(ctx, event("evt_1"), time.Hour, twoRoutes, nil); err != nil || !out {
		t.Fatalf("second = %v, %v", out, err)
	}
	if n := rdb.LLen(ctx, "asynq:{webhooks}:pending").Val(); n != 2 {
		t.Fatalf("pending = %d, want 2", n)
	}
	// The mark expires with its bucket, at least the window after it was
	// written and less than 1.25 × the window, independent of any payload.
	if ttl := queue.MarkTTL(ctx, rdb, "stripe", "evt_1", time.Hour); ttl <= 59*time.Minute || ttl > 75*time.Minute {
		t.Fatalf("mark ttl = %v", ttl)
	}
	// Mark gone (window over) but a task still queued or dead-lettered:
	// still a duplicate, never a second task.
	queue.ForgetMark(ctx, rdb, "stripe", "evt_1", time.Hour)
	if out, err := q.Enqueue(ctx, event("evt_1"), time.Hour, twoRoutes, nil); err != nil || !out {
		t.Fatalf("after mark expiry = %v, %v", out, err)
	}
	if n := rdb.LLen(ctx, "asynq:{webhooks}:pending").Val(); n != 2 {
		t.Fatalf("pending = %d, want 2", n)
	}
}

func TestConcurrentIdenticalDeliveries(t *testing.T) {
	_, q := newEnqueuer(t)
	var accepted, dup atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := q.Enqueue(context.Background(), event("evt_race"), time.Hour, twoRoutes, nil)
			if err != nil {
				t.Error(err)
			}
			if !out {
				accepted.Add(1)
			} else {
				dup.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 || dup.Load() != 49 {
		t.Fatalf("accepted=%d duplicate=%d, want 1 and 49", accepted.Load(), dup.Load())
	}
}

// A Redis that is down or stalled yields ErrQueueUnavailable within the
// caller's deadline, and a failed attempt leaves no mark behind.
func TestUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer rdb.Close()
	q := queue.NewEnqueuer(rdb)

	srv.Stop() // SIGSTOP: connections accepted by the kernel, never answered
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start := time.Now()
	_, err := q.Enqueue(ctx, event("evt_stall"), time.Hour, twoRoutes, nil)
	cancel()
	if !errors.Is(err, webhook.ErrQueueUnavailable) {
		t.Fatalf("stalled: err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("stalled call took %v", d)
	}
	srv.Cont()

	srv.Kill()
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = q.Enqueue(ctx, event("evt_down"), time.Hour, twoRoutes, nil)
	cancel()
	if !errors.Is(err, webhook.ErrQueueUnavailable) {
		t.Fatalf("down: err = %v", err)
	}
	srv.Restart()
	if out, err := q.Enqueue(context.Background(), event("evt_down"), time.Hour, twoRoutes, nil); err != nil || out {
		t.Fatalf("after restart = %v, %v (a failed attempt must not leave a mark)", out, err)
	}
}

// The dedupe lifecycle around the dead-letter queue: while a task for the
// event exists in any state a redelivery is a duplicate; once an operator
// deleted it and the window has passed, the provider's redelivery is new.
func TestDedupeLifecycleAfterDelete(t *testing.T) {
	rdb, q := newEnqueuer(t)
	ctx := context.Background()
	one := []webhook.Task{{Route: "app", Timeout: 5 * time.Second}}
	if dup, err := q.Enqueue(ctx, event("evt_life"), time.Hour, one, nil); err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	id := webhook.TaskID("stripe", "app", "evt_life")
	if err := insp.ArchiveTask(queue.Queue, id); err != nil {
		t.Fatal(err)
	}
	queue.ForgetMark(ctx, rdb, "stripe", "evt_life", time.Hour) // the window passes
	if dup, _ := q.Enqueue(ctx, event("evt_life"), time.Hour, one, nil); !dup {
		t.Fatal("redelivery while dead-lettered created a second task")
	}
	if err := insp.DeleteTask(queue.Queue, id); err != nil {
		t.Fatal(err)
	}
	if dup, err := q.Enqueue(ctx, event("evt_life"), time.Hour, one, nil); err != nil || dup {
		t.Fatalf("after delete and window: dup=%v err=%v, want accepted", dup, err)
	}
}

// Each route's task carries only that route's kept headers.
func TestPerRouteHeaders(t *testing.T) {
	rdb := redistest.Client(t)
	ctx := context.Background()
	ev := event("evt_hdr")
	tasks := []webhook.Task{
		{Route: "billing", Timeout: 5 * time.Second, Headers: map[string]string{"Authorization": "Bearer billing-only"}},
		{Route: "audit", Timeout: 5 * time.Second},
	}
	if dup, err := queue.NewEnqueuer(rdb).Enqueue(ctx, ev, time.Hour, tasks, nil); err != nil || dup {
		t.Fatalf("enqueue: %v %v", dup, err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for route, want := range map[string]string{"billing": "Bearer billing-only", "audit": ""} {
		info, err := insp.GetTaskInfo(queue.Queue, webhook.TaskID("stripe", route, "evt_hdr"))
		if err != nil {
			t.Fatal(err)
		}
		e, err := webhook.Decode(info.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if e.Headers["Authorization"] != want || (want == "" && bytes.Contains(info.Payload, []byte("billing-only"))) {
			t.Fatalf("route %s: headers %v", route, e.Headers)
		}
	}
}
