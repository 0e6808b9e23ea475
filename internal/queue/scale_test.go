package queue_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redisconn"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/webhook"
)

// TestClusterScale measures enqueue (the dedupe+enqueue script, 64
// concurrent callers) and drain (one Asynq server, 64 workers, no-op
// handler) on one redis-server against a local 3-master cluster with 1 and
// 3 shards. Indicative only: every Redis and the client share this
// machine's cores. HOOKQ_BENCH=1 turns it on (HOOKQ_BENCH_SECONDS, default 5).
func TestClusterScale(t *testing.T) {
	if os.Getenv("HOOKQ_BENCH") != "1" {
		t.Skip("HOOKQ_BENCH=1 runs it")
	}
	secs, _ := strconv.Atoi(os.Getenv("HOOKQ_BENCH_SECONDS"))
	if secs <= 0 {
		secs = 5
	}
	tun := redisconn.Tuning{DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, PoolTimeout: 2 * time.Second, PoolSize: 64}
	client := func(url string) redis.UniversalClient {
		spec, _ := redisconn.Parse(url)
		c, err := spec.Client(tun)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	single := redistest.Start(t, redistest.WithArgs("--appendonly", "yes", "--appendfsync", "everysec"))
	cluster := redistest.StartCluster(t, 0)
	t.Logf("| topology | shards | enqueue ev/s | drain tasks/s |")
	t.Logf("|---|---|---|---|")
	for _, c := range []struct {
		name   string
		rdb    redis.UniversalClient
		shards int
	}{{"one node", client(single.URL()), 1}, {"cluster, 3 masters", client(cluster.URL()), 1}, {"cluster, 3 masters", client(cluster.URL()), 3}} {
		shards := queue.NewShards(c.shards)
		q := queue.NewEnqueuer(c.rdb).WithShards(shards)
		prefix := fmt.Sprintf("evt_%d_%d_", c.shards, time.Now().UnixNano())
		var n, errs atomic.Int64
		deadline := time.Now().Add(time.Duration(secs) * time.Second)
		var wg sync.WaitGroup
		start := time.Now()
		for g := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					ev := &webhook.Event{Source: "stripe", ID: prefix + strconv.Itoa(g) + "_" + strconv.Itoa(i), Type: "t", Body: make([]byte, 512)}
					if _, err := q.Enqueue(context.Background(), ev, time.Hour, []webhook.Task{{Route: "app"}}, nil); err != nil {
						errs.Add(1)
						continue
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		enq := float64(n.Load()) / time.Since(start).Seconds()
		if errs.Load() > 0 {
			t.Errorf("%s: %d enqueue errors", c.name, errs.Load())
		}

		var done atomic.Int64
		srv := asynq.NewServerFromRedisClient(c.rdb, asynq.Config{Queues: shards.Weights(), Concurrency: 64,
			TaskCheckInterval: 10 * time.Millisecond, LogLevel: asynq.FatalLevel})
		start = time.Now()
		if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { done.Add(1); return nil })); err != nil {
			t.Fatal(err)
		}
		for done.Load() < n.Load() && time.Since(start) < 5*time.Minute {
			time.Sleep(10 * time.Millisecond)
		}
		drain := float64(done.Load()) / time.Since(start).Seconds()
		srv.Shutdown()
		t.Logf("| %s | %d | %.0f | %.0f |", c.name, c.shards, enq, drain)
	}
}
