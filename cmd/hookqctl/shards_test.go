package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/ctl/ctltest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// shardCounts is what seedShards put in each queue.
type shardCounts map[string]struct{ pending, archived int }

// seedShards enqueues n events of source stripe (route app) over shards
// with the real enqueuer and dead-letters every third one.
func seedShards(t *testing.T, rdb redis.UniversalClient, shards queue.Shards, n int) shardCounts {
	t.Helper()
	ctx := context.Background()
	q := queue.NewEnqueuer(rdb).WithShards(shards)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	want := shardCounts{}
	for i := range n {
		ev := &webhook.Event{Source: "stripe", ID: "evt_" + strconv.Itoa(i), Type: "t", Body: []byte(`{}`)}
		if _, err := q.Enqueue(ctx, ev, time.Hour, []webhook.Task{{Route: "app", MaxRetry: 1}}, nil); err != nil {
			t.Fatal(err)
		}
		qname := shards.For("stripe", ev.ID)
		c := want[qname]
		if i%3 == 0 {
			if err := insp.ArchiveTask(qname, webhook.TaskID("stripe", "app", ev.ID)); err != nil {
				t.Fatal(err)
			}
			c.archived++
		} else {
			c.pending++
		}
		want[qname] = c
	}
	if len(want) != len(shards.Names()) {
		t.Fatalf("%d events landed on %d of %d shards: seed more", n, len(want), len(shards.Names()))
	}
	return want
}

func shardConfig(t *testing.T, url string, shards int) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "hookq.yaml")
	cfg := fmt.Sprintf("redis:\n  url: %s\nqueue:\n  shards: %d\nsources:\n  - name: stripe\n    verifier: { type: hmac, header: X-Sig, secrets: [\"x\"] }\nroutes:\n  - { name: app, source: stripe, handler: log }\n", url, shards)
	if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

type statsJSON struct {
	Queues []struct {
		Queue             string
		Pending, Archived int
	} `json:"queues"`
	Shards   []string                              `json:"shards"`
	Unserved []string                              `json:"unserved"`
	Total    struct{ Pending, Archived, Size int } `json:"total"`
}

func runStatsJSON(t *testing.T, args ...string) statsJSON {
	t.Helper()
	var out, errb strings.Builder
	if err := run(context.Background(), append([]string{"stats", "-json"}, args...), func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("stats: %v; %s", err, errb.String())
	}
	var got statsJSON
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return got
}

// checkShardStats compares stats' rows and total with what was seeded.
func checkShardStats(t *testing.T, got statsJSON, names []string, want shardCounts) {
	t.Helper()
	if fmt.Sprint(got.Shards) != fmt.Sprint(names) {
		t.Errorf("shards %v, want %v", got.Shards, names)
	}
	var pending, archived int
	rows := map[string]bool{}
	for _, q := range got.Queues {
		rows[q.Queue] = true
		w := want[q.Queue]
		if q.Pending != w.pending || q.Archived != w.archived {
			t.Errorf("queue %s: pending %d archived %d, want %d %d", q.Queue, q.Pending, q.Archived, w.pending, w.archived)
		}
		pending += w.pending
		archived += w.archived
	}
	for _, n := range names {
		if !rows[n] {
			t.Errorf("no row for shard %s", n)
		}
	}
	if got.Total.Pending != pending || got.Total.Archived != archived || got.Total.Size != pending+archived {
		t.Errorf("total %+v, want pending %d archived %d", got.Total, pending, archived)
	}
}

// With queue.shards: 3 in the config, stats shows a row per shard (one
// nothing was enqueued to yet included), their total, and a queue of
// another shard count as not served; dlq list counts by shard; without the
// config the shards are detected from Redis.
func TestStatsShards(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	shards := queue.NewShards(3)
	names := shards.Names()

	// Before any enqueue: every configured shard has an empty row.
	cfg := shardConfig(t, srv.URL(), 3)
	got := runStatsJSON(t, "-config", cfg)
	if len(got.Queues) != 3 || got.Total.Size != 0 {
		t.Errorf("empty Redis: %+v", got)
	}

	want := seedShards(t, rdb, shards, 30)
	checkShardStats(t, runStatsJSON(t, "-config", cfg), names, want)
	checkShardStats(t, runStatsJSON(t, "-redis", srv.URL()), names, want) // detected

	// A task left in the unsharded queue: counted, and flagged as unserved.
	ctltest.Enqueue(t, rdb, &webhook.Event{Source: "stripe", ID: "old", Type: "t", Body: []byte(`{}`), ReceivedAt: time.Now()}, "app")
	want[queue.Queue] = struct{ pending, archived int }{1, 0}
	got = runStatsJSON(t, "-config", cfg)
	checkShardStats(t, got, names, want)
	if fmt.Sprint(got.Unserved) != fmt.Sprint([]string{queue.Queue}) {
		t.Errorf("unserved %v, want [%s]", got.Unserved, queue.Queue)
	}

	var out, errb strings.Builder
	getenv := func(string) string { return "" }
	if err := run(context.Background(), []string{"stats", "-config", cfg}, getenv, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	for _, w := range []string{names[2], "total", `not served with queue.shards: 3: "` + queue.Queue + `"`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stats output lacks %q:\n%s", w, out.String())
		}
	}

	out.Reset()
	if err := run(context.Background(), []string{"dlq", "list", "-config", cfg, "-limit", "2"}, getenv, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	by := "by shard:"
	for _, n := range names {
		by += fmt.Sprintf(" %s %d", n, want[n].archived)
	}
	if !strings.Contains(out.String(), by) {
		t.Errorf("dlq list lacks %q (counts over every match, not the 2 shown):\n%s", by, out.String())
	}
}

// The same on a 3-master Redis Cluster through redis-cluster://, each
// shard on its own master.
func TestStatsShardsCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 6-node Redis Cluster")
	}
	c := redistest.StartCluster(t, 0)
	rdb := c.Client(t, 4)
	shards := queue.NewShards(3)
	masters := map[string]bool{}
	for _, n := range shards.Names() {
		m, err := c.MasterOf(context.Background(), queue.Slot(queue.PendingKey(n)))
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Addr()] = true
	}
	if len(masters) != 3 {
		t.Fatalf("the 3 shards sit on %d masters", len(masters))
	}
	want := seedShards(t, rdb, shards, 30)
	checkShardStats(t, runStatsJSON(t, "-config", shardConfig(t, c.URL(), 3)), shards.Names(), want)
}
