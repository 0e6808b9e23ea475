package queue_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// TestReplicaAck runs against a real master and replica: with
// WithReplicaAck(1) an accepted event is on the replica when Enqueue
// returns; with the replica stalled the answer is an error (503) after the
// bound, and the provider's retry is then answered duplicate once the
// replica holds the writes.
func TestReplicaAck(t *testing.T) {
	m := redistest.Start(t)
	r := redistest.Start(t, redistest.WithArgs("--replicaof", "127.0.0.1", strconv.Itoa(m.Port)))
	ctx := context.Background()
	mc, rc := m.Client(), r.Client()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatal("replica never synced")
		}
		time.Sleep(20 * time.Millisecond)
	}
	q := queue.NewEnqueuer(mc).WithReplicaAck(m.Client(), 1, 300*time.Millisecond)

	for _, id := range []string{"evt_a", "evt_b"} { // evt_a loads the script (NOSCRIPT path), evt_b uses EVALSHA
		if dup, err := q.Enqueue(ctx, event(id), time.Hour, twoRoutes, nil); err != nil || dup {
			t.Fatalf("%s: %v %v", id, dup, err)
		}
		if ok, err := queue.Marked(ctx, rc, "stripe", id, time.Hour); err != nil || !ok {
			t.Fatalf("%s: acknowledged but not on the replica", id)
		}
	}

	r.Stop() // SIGSTOP: the replica stops acknowledging
	start := time.Now()
	_, err := q.Enqueue(ctx, event("evt_c"), time.Hour, twoRoutes, nil)
	took := time.Since(start)
	if err == nil || !errors.Is(err, webhook.ErrQueueUnavailable) || !strings.Contains(err.Error(), "0 of 1 replicas") {
		t.Fatalf("stalled replica: err = %v, want unavailable (0 of 1 replicas)", err)
	}
	if took < 300*time.Millisecond || took > 2*time.Second {
		t.Fatalf("answered after %v, want the 300ms bound", took)
	}
	// The duplicate path waits too: while the replica is stalled, a retry
	// is refused rather than answered duplicate for an unreplicated mark.
	if _, err := q.Enqueue(ctx, event("evt_c"), time.Hour, twoRoutes, nil); err == nil {
		t.Fatal("retry answered while the replica still lacks the event")
	}
	r.Cont()
	eventually := time.Now().Add(5 * time.Second)
	for {
		dup, err := q.Enqueue(ctx, event("evt_c"), time.Hour, twoRoutes, nil)
		if err == nil {
			if !dup {
				t.Fatal("provider retry after the replica caught up: accepted, want duplicate (the first attempt's tasks exist)")
			}
			break
		}
		if time.Now().After(eventually) {
			t.Fatalf("replica resumed but retries still fail: %v", err)
		}
	}
	if n := rc.LLen(ctx, "asynq:{webhooks}:pending").Val(); n != 6 {
		t.Fatalf("replica pending = %d, want 6 (three events, two routes each, none twice)", n)
	}
}
