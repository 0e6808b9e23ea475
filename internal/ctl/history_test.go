package ctl_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
	"github.com/hookq/hookq/internal/worker"
)

// TestHistoryRecordsForwardOutcome runs the real forward handler under a
// real Asynq server with history on: a delivered event stays as a completed
// task whose result is the destination's answer, and Inspect shows it.
func TestHistoryRecordsForwardOutcome(t *testing.T) {
	rdb := redistest.Client(t)
	var calls atomic.Int32
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hookq-Event-Id") == "evt_flaky" && calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		time.Sleep(5 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
	}))
	defer dest.Close()

	route := worker.Route{Name: "app", Handler: worker.Forward(http.DefaultClient, dest.URL, 5*time.Second, nil),
		Backoff: worker.Backoff{Base: 100 * time.Millisecond, Max: 200 * time.Millisecond}}
	mux := worker.NewMux(zap.NewNop(), []worker.Route{route}, worker.MuxOptions{RecordResults: true})
	as := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{queue.Queue: 1}, Concurrency: 2,
		TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc: mux.RetryDelay, LogLevel: asynq.FatalLevel})
	if err := as.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer as.Shutdown()

	body := `{"id":"x","pad":"` + strings.Repeat("x", 1000) + `"}` // about 1 KiB
	enq := queue.NewEnqueuer(rdb)
	for _, id := range []string{"evt_ok", "evt_flaky"} {
		ev := &webhook.Event{Source: "stripe", ID: id, Type: "charge.refunded", Body: []byte(body), ContentType: "application/json", ReceivedAt: time.Now()}
		if dup, err := enq.Enqueue(context.Background(), ev, time.Hour,
			[]webhook.Task{{Route: "app", MaxRetry: 2, Timeout: 10 * time.Second, Retention: time.Hour}}, nil); err != nil || dup {
			t.Fatalf("enqueue %s: %v %v", id, dup, err)
		}
	}
	c := ctl.New(rdb, ctl.Topology{Sources: []string{"stripe"}, Routes: map[string][]string{"stripe": {"app"}}})
	want := map[string]int{"evt_ok": 1, "evt_flaky": 2} // attempts
	for id, attempt := range want {
		var task *ctl.Task
		deadline := time.Now().Add(10 * time.Second)
		for {
			w, err := c.Inspect(context.Background(), id, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Routes) == 1 && w.Routes[0].Task != nil && w.Routes[0].Task.State == "completed" {
				task = w.Routes[0].Task
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not completed within 10s: %+v", id, w.Routes)
			}
			time.Sleep(20 * time.Millisecond)
		}
		d := task.Delivery
		if d == nil || d.Status != http.StatusCreated || d.Attempt != attempt || d.LatencyMS < 5 || d.At.IsZero() || task.CompletedAt.IsZero() {
			t.Errorf("%s: delivery %+v, completed at %v; want 201 on attempt %d after >= 5ms", id, d, task.CompletedAt, attempt)
		}
	}

	// Redis cost of one kept event: its task hash (envelope with the body,
	// result, bookkeeping) and its entry in the completed set.
	key := "asynq:{" + queue.Queue + "}:t:" + webhook.TaskID("stripe", "app", "evt_ok")
	hash, err := rdb.MemoryUsage(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	zkey := "asynq:{" + queue.Queue + "}:completed"
	zset, err := rdb.MemoryUsage(context.Background(), zkey).Result()
	if err != nil {
		t.Fatal(err)
	}
	perEvent := hash + zset/2 // two entries in the completed set
	t.Logf("Redis cost of one kept event with a %d-byte body: task hash %d B, completed-set share %d B: %d B (%d B over the body)",
		len(body), hash, zset/2, perEvent, perEvent-int64(len(body)))
	if over := perEvent - int64(len(body)); over > 1024 {
		t.Errorf("a kept event costs %d B over its body, want at most 1 KiB", over)
	}
}
