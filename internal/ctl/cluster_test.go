package ctl_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// On a 3-master Redis Cluster with 3 shards, hookqctl's library sees every
// shard without being told the shard count: stats, the dead-letter queue
// (list, show, replay), marks counted on every master, and Inspect finding
// an event's mark and tasks by scanning every master.
func TestClusterShards(t *testing.T) {
	rdb := redistest.StartCluster(t, 0).Client(t, 8)
	ctx := context.Background()
	shards := queue.NewShards(3)
	q := queue.NewEnqueuer(rdb).WithShards(shards)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	const n = 30
	for i := range n {
		ev := &webhook.Event{Source: "stripe", ID: "evt_" + strconv.Itoa(i), Type: "t", Body: []byte(`{}`)}
		if _, err := q.Enqueue(ctx, ev, time.Hour, []webhook.Task{{Route: "app", MaxRetry: 1}}, nil); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // dead-letter a third, spread over the shards
			if err := insp.ArchiveTask(shards.For("stripe", ev.ID), webhook.TaskID("stripe", "app", ev.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cl := ctl.New(rdb, ctl.Topology{})

	stats, err := cl.Stats(ctx)
	if err != nil || len(stats) != 3 {
		t.Fatalf("stats: %d queues, %v", len(stats), err)
	}
	archived, err := cl.Archived(ctx, ctl.Filter{})
	if err != nil || len(archived) != n/3 {
		t.Fatalf("archived: %d, want %d (%v)", len(archived), n/3, err)
	}
	inQueues := map[string]bool{}
	for _, a := range archived {
		inQueues[a.Info.Queue] = true
	}
	if len(inQueues) < 2 {
		t.Fatalf("dead letters all in one shard: %v", inQueues)
	}
	found, err := cl.Find(ctx, "stripe:app:evt_3")
	if err != nil || len(found) != 1 || found[0].State != "archived" {
		t.Fatalf("find: %v %v", found, err)
	}
	o, err := cl.Replay(ctx, ctl.IDs(archived), nil)
	if err != nil || o.Done != n/3 {
		t.Fatalf("replay: %+v %v", o, err)
	}
	marks, err := cl.CountMarks(ctx)
	if err != nil || marks.Total != n || marks.BySource["stripe"] != n {
		t.Fatalf("marks: %+v %v", marks, err)
	}
	for _, id := range []string{"evt_4", "evt_17", "evt_29"} {
		w, err := cl.Inspect(ctx, id, "")
		if err != nil || len(w.Marks) != 1 || len(w.Routes) != 1 || w.Routes[0].Task == nil || w.Routes[0].Task.State != "pending" {
			t.Fatalf("inspect %s: %+v %v", id, w, err)
		}
		if q, src, ok := queue.SplitMarkBucket(w.Marks[0].Key); !ok || src != "stripe" || q != shards.For("stripe", id) || !rdb.HExists(ctx, w.Marks[0].Key, id).Val() {
			t.Fatalf("inspect %s: mark %s", id, w.Marks[0].Key)
		}
	}
}
