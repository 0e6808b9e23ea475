// Package ctltest seeds a private Redis with a known dead-letter queue for
// the tests of internal/ctl and cmd/hookqctl: tasks written by the real
// enqueuer and dead-lettered by a real Asynq server.
package ctltest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// MarkTTL is the dedupe window of every seeded event.
const MarkTTL = time.Hour

// Old is when the event archived by hand (without a failure) was received.
var Old = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

// Failures maps each task a real Asynq server dead-letters to its error.
var Failures = map[string]string{
	"stripe:app:evt_a":   "forward: upstream answered 500 Internal Server Error",
	"stripe:audit:evt_a": "forward: dial tcp 127.0.0.1:9: connection refused",
	"stripe:app:evt_b":   "forward: upstream answered 404 Not Found (permanent)",
	"github:ci:gh_1":     "forward: upstream answered 500 Internal Server Error",
	"seed:forms:txt_1":   "forward: upstream answered 400 Bad Request (permanent)",
}

// Topology is the sources and routes of the seeded data, as a config would
// have them.
var Topology = map[string][]string{"stripe": {"app", "audit"}, "github": {"ci"}, "seed": {"forms"}}

// Archived lists every dead-lettered task id after Seed: Failures' keys plus
// "stripe:app:evt_old", archived by hand.
var Archived = []string{"github:ci:gh_1", "seed:forms:txt_1", "stripe:app:evt_a", "stripe:app:evt_b", "stripe:app:evt_old", "stripe:audit:evt_a"}

// Pending is the one task Seed leaves pending.
const Pending = "stripe:app:evt_p"

// Done is an event whose task finished (its mark remains, its task is gone).
const Done = "evt_done"

func event(source, id, typ string, body string, at time.Time) *webhook.Event {
	return &webhook.Event{Source: source, ID: id, Type: typ, Body: []byte(body), ContentType: "application/json",
		ReceivedAt: at, VerifiedBy: "hmac"}
}

// Enqueue enqueues ev for routes with the real enqueuer, MaxRetry 0.
func Enqueue(tb testing.TB, rdb redis.UniversalClient, ev *webhook.Event, routes ...string) {
	tb.Helper()
	var tasks []webhook.Task
	for _, r := range routes {
		tasks = append(tasks, webhook.Task{Route: r, MaxRetry: 0, Timeout: 5 * time.Second})
	}
	dup, err := queue.NewEnqueuer(rdb).Enqueue(context.Background(), ev, MarkTTL, tasks, map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
	if err != nil || dup {
		tb.Fatalf("enqueue %s: duplicate=%v err=%v", ev.ID, dup, err)
	}
}

// Seed fills rdb: the tasks of Failures dead-lettered by a real Asynq
// server, one archived by hand, one pending, one finished.
func Seed(tb testing.TB, rdb redis.UniversalClient) {
	tb.Helper()
	now := time.Now().UTC()
	Enqueue(tb, rdb, event("stripe", "evt_a", "payment_intent.succeeded", `{"id":"evt_a","type":"payment_intent.succeeded","data":{"amount":5000}}`, now), "app", "audit")
	Enqueue(tb, rdb, event("stripe", "evt_b", "charge.refunded", `{"id":"evt_b","type":"charge.refunded"}`, now), "app")
	Enqueue(tb, rdb, event("github", "gh_1", "push", `{"ref":"refs/heads/main"}`, now), "ci")
	txt := event("seed", "txt_1", "form.posted", "a=1&b=two\n", now)
	txt.ContentType = "application/x-www-form-urlencoded"
	Enqueue(tb, rdb, txt, "forms")

	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: map[string]int{queue.Queue: 1}, Concurrency: 4,
		TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.FatalLevel})
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		return errors.New(Failures[id])
	}))
	if err != nil {
		tb.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(5 * time.Second)
	for {
		qi, err := insp.GetQueueInfo(queue.Queue)
		if err == nil && qi.Archived == len(Failures) {
			break
		}
		if time.Now().After(deadline) {
			srv.Shutdown()
			tb.Fatalf("asynq server did not dead-letter %d tasks within 5s: %+v %v", len(Failures), qi, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Shutdown()

	Enqueue(tb, rdb, event("stripe", "evt_old", "charge.refunded", `{"id":"evt_old"}`, Old), "app")
	if err := insp.ArchiveTask(queue.Queue, "stripe:app:evt_old"); err != nil {
		tb.Fatal(err)
	}
	Enqueue(tb, rdb, event("stripe", "evt_p", "payment_intent.created", `{"id":"evt_p"}`, now), "app")
	Enqueue(tb, rdb, event("stripe", Done, "charge.refunded", `{"id":"evt_done"}`, now), "app")
	// A succeeded task leaves nothing behind (no Retention): as if done.
	if err := insp.DeleteTask(queue.Queue, "stripe:app:"+Done); err != nil {
		tb.Fatal(err)
	}
}
