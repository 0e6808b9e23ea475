package worker

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

func TestLimiterLeases(t *testing.T) {
	rdb := redistest.Client(t)
	l := NewLimiter(rdb)
	ctx := context.Background()
	long := time.Now().Add(time.Minute)
	took := func(route string, n int, holder string, until time.Time) (func(), time.Duration) {
		t.Helper()
		release, retryIn, err := l.Acquire(ctx, route, n, holder, until)
		if err != nil {
			t.Fatal(err)
		}
		return release, retryIn
	}
	rel1, _ := took("r", 2, "a", long)
	rel2, _ := took("r", 2, "b", long)
	rel3, retryIn := took("r", 2, "c", long)
	if rel1 == nil || rel2 == nil || rel3 != nil {
		t.Fatal("acquire 3 of 2 slots: want the first two only")
	}
	if retryIn != MinDefer {
		t.Fatalf("retry in %v with no hold measured yet, want %v", retryIn, MinDefer)
	}
	if rel, _ := took("other", 1, "a", long); rel == nil {
		t.Fatal("routes share slots")
	}
	time.Sleep(200 * time.Millisecond)
	rel1()
	if rel, _ := took("r", 2, "c", long); rel == nil {
		t.Fatal("slot not given back")
	}
	if n := rdb.ZCard(ctx, waitingKey("r")).Val(); n != 0 {
		t.Fatalf("%d waiting after the waiter got its slot", n)
	}
	// The mean hold (about 200 ms so far) and the waiting tasks set the
	// deferral: 40 waiting x 200 ms over 2 slots, halved: about 2 s.
	for i := range 40 {
		took("r", 2, "w"+strconv.Itoa(i), long)
	}
	if _, retryIn := took("r", 2, "w0", long); retryIn < 1500*time.Millisecond || retryIn > 3*time.Second {
		t.Fatalf("retry in %v with 40 waiting, a 200 ms hold and 2 slots: want about 2s", retryIn)
	}
	// A holder killed by -9 never releases: its lease lapses at its deadline.
	if rel, _ := took("crash", 1, "dead", time.Now().Add(300*time.Millisecond)); rel == nil {
		t.Fatal("first lease refused")
	}
	if rel, _ := took("crash", 1, "next", long); rel != nil {
		t.Fatal("live lease ignored")
	}
	time.Sleep(400 * time.Millisecond)
	if rel, _ := took("crash", 1, "next", long); rel == nil {
		t.Fatal("expired lease not reclaimed")
	}
	if ttl := rdb.PTTL(ctx, InflightKey("crash")).Val(); ttl <= 0 || ttl > time.Minute+2*time.Second {
		t.Fatalf("key TTL %v: want the longest lease plus a little", ttl)
	}
}

// A bounded route that is full defers its tasks without holding worker
// slots or spending retries; other routes keep flowing; a last attempt waits
// for a slot instead of being archived.
func TestRouteFullDefers(t *testing.T) {
	rdb := redistest.Client(t)
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)

	unblock := make(chan struct{})
	var slowNow, slowPeak, slowDone, fastDone atomic.Int64
	slow := HandlerFunc(func(ctx context.Context, ev *webhook.Event) error {
		n := slowNow.Add(1)
		defer slowNow.Add(-1)
		for p := slowPeak.Load(); n > p && !slowPeak.CompareAndSwap(p, n); p = slowPeak.Load() {
		}
		select {
		case <-unblock:
		case <-ctx.Done():
			return ctx.Err()
		}
		slowDone.Add(1)
		return nil
	})
	fast := HandlerFunc(func(context.Context, *webhook.Event) error { fastDone.Add(1); return nil })
	mux := NewMux(zap.NewNop(), []Route{
		{Name: "slow", Handler: slow, Backoff: Backoff{Base: time.Second, Max: time.Second}, Timeout: 2 * time.Second, MaxInFlight: 1},
		{Name: "fast", Handler: fast, Backoff: Backoff{Base: time.Second, Max: time.Second}, Timeout: 2 * time.Second},
	}, MuxOptions{Limiter: NewLimiter(rdb)})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 3, Queues: map[string]int{"webhooks": 1},
		RetryDelayFunc: mux.RetryDelay, IsFailure: IsFailure, TaskCheckInterval: 10 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	enqueue := func(route, id string, opts ...asynq.Option) {
		t.Helper()
		p := webhook.Encode(&webhook.Event{Source: "s", ID: id, Type: "t", Body: []byte(`{}`)})
		opts = append(opts, asynq.TaskID(id), asynq.Queue("webhooks"), asynq.Timeout(20*time.Second))
		if _, err := client.Enqueue(asynq.NewTask(webhook.TaskType(route), p), opts...); err != nil {
			t.Fatal(err)
		}
	}
	// More slow tasks than the server has slots: unbounded, they would
	// take all three and starve "fast".
	for i := range 6 {
		enqueue("slow", "slow"+strconv.Itoa(i), asynq.MaxRetry(3))
	}
	time.Sleep(300 * time.Millisecond)
	for i := range 20 {
		enqueue("fast", "fast"+strconv.Itoa(i))
	}
	waitFor(t, 5*time.Second, "fast tasks done while slow is full", func() bool { return fastDone.Load() == 20 })
	if p := slowPeak.Load(); p != 1 {
		t.Fatalf("%d slow handlers at once, max_in_flight 1", p)
	}
	// Deferred tasks wait in the retry set with no retry spent.
	waitFor(t, 5*time.Second, "deferred slow tasks in the retry set", func() bool {
		ts, _ := insp.ListRetryTasks("webhooks")
		return len(ts) > 0
	})
	ts, err := insp.ListRetryTasks("webhooks")
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range ts {
		if ti.Retried != 0 {
			t.Errorf("deferred task %s: retried %d, want 0", ti.ID, ti.Retried)
		}
	}
	// A last attempt (max retry 0) on a full route waits for the slot.
	enqueue("slow", "last", asynq.MaxRetry(0))
	time.Sleep(500 * time.Millisecond)
	close(unblock)
	waitFor(t, 20*time.Second, "every slow task done", func() bool { return slowDone.Load() == 7 })
	if p := slowPeak.Load(); p != 1 {
		t.Fatalf("%d slow handlers at once, max_in_flight 1", p)
	}
	if q, err := insp.GetQueueInfo("webhooks"); err != nil || q.Archived != 0 || q.Failed != 0 {
		t.Fatalf("queue %+v %v: want nothing archived and no failure counted", q, err)
	}
	if n := rdb.ZCard(context.Background(), InflightKey("slow")).Val(); n != 0 {
		t.Fatalf("%d leases left after every handler returned", n)
	}
}

func waitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A last attempt on a route that stays full waits for a slot while its
// deadline leaves the handler its timeout, then is dead-lettered with its
// copy kept: Asynq would archive it whatever IsFailure says.
func TestLastAttemptStillFullDeadLettered(t *testing.T) {
	rdb := redistest.Client(t)
	l := NewLimiter(rdb)
	hold, _, err := l.Acquire(context.Background(), "busy", 1, "holder", time.Now().Add(time.Minute))
	if err != nil || hold == nil {
		t.Fatalf("holder: %v", err)
	}
	dl := &recDeadLetters{}
	ran := false
	mux := NewMux(zap.NewNop(), []Route{{Name: "busy", MaxInFlight: 1, Timeout: time.Second,
		Handler: HandlerFunc(func(context.Context, *webhook.Event) error { ran = true; return nil })}},
		MuxOptions{Limiter: l, DeadLetters: dl})
	payload := webhook.Encode(&webhook.Event{Source: "s", ID: "e", Type: "t", Body: []byte(`{}`)})
	// No asynq metadata: retried 0 = max 0, the last attempt. Deadline 1.5 s,
	// handler timeout 1 s: about 0.5 s of waiting.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = mux.ProcessTask(ctx, asynq.NewTask("hookq:busy", payload))
	waited := time.Since(start)
	if !errors.Is(err, ErrRouteFull) || ran {
		t.Fatalf("err %v, handler ran %v: want deferred, not run", err, ran)
	}
	if waited < 300*time.Millisecond || waited > 1200*time.Millisecond {
		t.Fatalf("waited %v for a slot, want about 0.5 s", waited)
	}
	if len(dl.got) != 1 || dl.got[0].Route != "busy" {
		t.Fatalf("dead letters %+v, want the task's copy", dl.got)
	}
	// With the slot given back in time, the last attempt runs.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel2()
	time.AfterFunc(200*time.Millisecond, hold)
	if err := mux.ProcessTask(ctx2, asynq.NewTask("hookq:busy", payload)); err != nil || !ran {
		t.Fatalf("err %v, ran %v: want the slot taken once released", err, ran)
	}
}
