package obs

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
)

// gauges gathers reg into name{label values joined by ","} → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			out[key+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

// Every configured shard gets its own series, read from its own queue; a
// shard nothing was enqueued to yet reads as empty, and a Redis that is
// gone turns every shard's scrape_ok to 0.
func TestQueueCollectorPerShard(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	names := queue.NewShards(3).Names()
	cl := asynq.NewClientFromRedisClient(rdb)
	for i, n := range []int{2, 1} { // shard 0: 2 tasks, shard 1: 1, shard 2: none
		for k := range n {
			if _, err := cl.Enqueue(asynq.NewTask("t", nil), asynq.Queue(names[i]), asynq.TaskID(string(rune('a'+k)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	if err := insp.ArchiveTask(names[0], "a"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewQueueCollector(insp, names))
	got := gauges(t, reg)
	for key, want := range map[string]float64{
		"hookq_queue_tasks{" + names[0] + ",pending}":   1,
		"hookq_queue_tasks{" + names[0] + ",archived}":  1,
		"hookq_queue_tasks{" + names[1] + ",pending}":   1,
		"hookq_queue_tasks{" + names[1] + ",archived}":  0,
		"hookq_queue_tasks{" + names[2] + ",pending}":   0,
		"hookq_queue_scrape_ok{" + names[0] + "}":       1,
		"hookq_queue_scrape_ok{" + names[2] + "}":       1,
		"hookq_queue_latency_seconds{" + names[2] + "}": 0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	if v := got["hookq_queue_latency_seconds{"+names[1]+"}"]; v <= 0 || v > 60 {
		t.Errorf("latency of %s = %v, want the pending task's wait (> 0)", names[1], v)
	}
	for key := range got {
		if key == "hookq_queue_tasks{"+queue.Queue+",pending}" {
			t.Errorf("unsharded queue %s exported with 3 shards", queue.Queue)
		}
	}

	srv.Kill()
	done := make(chan map[string]float64)
	go func() { done <- gauges(t, reg) }()
	select {
	case got = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("scrape with Redis down did not return")
	}
	for _, n := range names {
		if v, ok := got["hookq_queue_scrape_ok{"+n+"}"]; !ok || v != 0 {
			t.Errorf("scrape_ok{%s} with Redis down = %v (present %v), want 0", n, v, ok)
		}
		if _, ok := got["hookq_queue_tasks{"+n+",pending}"]; ok {
			t.Errorf("tasks of %s exported with Redis down", n)
		}
	}
}

// The archive-trimmed counter is labelled with the queue the worker names.
func TestArchiveTrimmedByQueue(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewWorkerMetrics(reg, nil)
	m.ArchiveTrimmed("webhooks-1", 3)
	m.ArchiveTrimmed("webhooks-0", 1)
	mfs, _ := reg.Gather()
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "hookq_archive_trimmed_total" {
			continue
		}
		for _, mm := range mf.GetMetric() {
			got[mm.GetLabel()[0].GetValue()] = mm.GetCounter().GetValue()
		}
	}
	if len(got) != 2 || got["webhooks-1"] != 3 || got["webhooks-0"] != 1 {
		t.Fatalf("hookq_archive_trimmed_total by queue = %v", got)
	}
}
