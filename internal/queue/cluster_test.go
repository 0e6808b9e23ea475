package queue_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// On a real 3-master Redis Cluster: the shards land on three different
// masters, Slot agrees with CLUSTER KEYSLOT, the enqueue script (mark and
// tasks in one slot) and restore run without CROSSSLOT, duplicates are
// refused, and a real Asynq server on the cluster client drains every shard.
func TestClusterShards(t *testing.T) {
	c := redistest.StartCluster(t, 0)
	rdb := c.Client(t, 16)
	ctx := context.Background()
	shards := queue.NewShards(3)
	masters := map[string]string{}
	for _, name := range shards.Names() {
		key := queue.PendingKey(name)
		if got := rdb.ClusterKeySlot(ctx, key).Val(); int(got) != queue.Slot(key) {
			t.Fatalf("CLUSTER KEYSLOT %s = %d, Slot = %d", key, got, queue.Slot(key))
		}
		m, err := c.MasterOf(ctx, queue.Slot(key))
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := masters[m.Addr()]; dup {
			t.Fatalf("shards %s and %s on the same master %s", other, name, m.Addr())
		}
		masters[m.Addr()] = name
	}
	t.Logf("shards on masters: %v", masters)

	q := queue.NewEnqueuer(rdb).WithShards(shards)
	const n = 60
	for i := range n {
		dup, err := q.Enqueue(ctx, event("evt_c"+strconv.Itoa(i)), time.Hour, twoRoutes, nil)
		if err != nil || dup {
			t.Fatalf("Enqueue %d = %v, %v", i, dup, err)
		}
	}
	if dup, err := q.Enqueue(ctx, event("evt_c7"), time.Hour, twoRoutes, nil); err != nil || !dup {
		t.Fatalf("duplicate: %v, %v", dup, err)
	}
	if seen, err := q.Seen(ctx, "stripe", "evt_c7", time.Hour, []string{"app"}); err != nil || !seen {
		t.Fatalf("Seen: %v, %v", seen, err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	qs, err := insp.Queues()
	if err != nil || len(qs) != 3 {
		t.Fatalf("registered queues %v, %v", qs, err)
	}
	total := 0
	for _, name := range shards.Names() {
		info, err := insp.GetQueueInfo(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending == 0 {
			t.Errorf("shard %s got no events", name)
		}
		total += info.Pending
	}
	if total != 2*n {
		t.Fatalf("%d pending tasks, want %d", total, 2*n)
	}

	var mu sync.Mutex
	got := map[string]bool{}
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: shards.Weights(), Concurrency: 8,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	if err := server.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		got[id] = true
		mu.Unlock()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	defer server.Shutdown()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k == 2*n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drained %d of %d tasks", k, 2*n)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Restore writes the task back into its own shard.
	dl := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{}).WithShards(shards)
	ok, err := dl.Restore(ctx, event("evt_c3"), twoRoutes[0])
	if err != nil || !ok {
		t.Fatalf("Restore = %v, %v", ok, err)
	}
	id := webhook.TaskID("stripe", "app", "evt_c3")
	if _, err := insp.GetTaskInfo(shards.For("stripe", "evt_c3"), id); err != nil {
		t.Fatalf("restored task not in its shard: %v", err)
	}
	// The mark's nonce answers a retry, in the shard's slot.
	nonce := queue.NewNonce()
	if dup, err := q.Enqueue(queue.WithNonce(ctx, nonce), event("evt_cn"), time.Hour, twoRoutes, nil); err != nil || dup {
		t.Fatalf("nonce attempt: %v, %v", dup, err)
	}
	if dup, err := q.Enqueue(queue.WithNonce(ctx, nonce), event("evt_cn"), time.Hour, twoRoutes, nil); err != nil || dup {
		t.Fatalf("nonce retry: %v, %v", dup, err)
	}
	if ok, err := shards.Marked(ctx, rdb, "stripe", "evt_cn", time.Hour); err != nil || !ok {
		t.Fatalf("Marked: %v, %v", ok, err)
	}
}
