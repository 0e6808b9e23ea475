package obs

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hookq/hookq/internal/webhook"
)

// Event types are chosen by senders: only types the routes name become
// label values; 30 invented types make no new series.
func TestWorkerEventTypeLabelsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewWorkerMetrics(reg, map[string][]string{"app": {"payment_*", "order_created"}, "all": nil})
	for i := range 30 {
		for _, route := range []string{"app", "all"} {
			m.Task(route, fmt.Sprintf("payment_x%d", i), "processed", time.Millisecond)
			m.Task(route, fmt.Sprintf("evil_%d", i), "retried", time.Millisecond)
		}
	}
	m.Task("app", "order_created", "processed", time.Millisecond)
	got := map[string]bool{}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "event_type" {
					got[l.GetValue()] = true
				}
			}
		}
	}
	want := map[string]bool{"payment_*": true, "order_created": true, OtherEventType: true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("event_type labels = %v, want %v", got, want)
	}
	var pb dto.Metric
	m.outcomes["processed"].WithLabelValues("app", "payment_*").Write(&pb)
	if n := pb.GetCounter().GetValue(); n != 30 {
		t.Fatalf("processed{app,payment_*} = %v, want 30", n)
	}
}

// Each outcome lands in its own series, and the ones with a dedicated
// counter count there too.
func TestIngestOutcomeSeries(t *testing.T) {
	m := NewIngestMetrics(prometheus.NewRegistry())
	m.Request("seed", 200, webhook.OutcomeAccepted, time.Millisecond, 1000)
	m.Request("seed", 200, webhook.OutcomeDuplicate, time.Millisecond, 1000)
	m.Request("seed", 200, webhook.OutcomeDuplicate, time.Millisecond, 1000)
	m.Request("seed", 503, webhook.OutcomeQueueUnavailable, time.Millisecond, 1000)
	for range 3 {
		m.Request("seed", 503, webhook.OutcomeOverloaded, time.Millisecond, 1000)
	}
	m.Request("", 404, webhook.OutcomeUnknownSource, time.Millisecond, 0)
	for _, c := range []struct {
		name string
		c    prometheus.Metric
		want float64
	}{
		{"accepted", m.requests.WithLabelValues("seed", "200", "accepted"), 1},
		{"duplicate", m.requests.WithLabelValues("seed", "200", "duplicate"), 2},
		{"overloaded", m.requests.WithLabelValues("seed", "503", "overloaded"), 3},
		{"unknown", m.requests.WithLabelValues("", "404", "unknown_source"), 1},
		{"dedupe hits", m.dedupeHits.WithLabelValues("seed"), 2},
		{"enqueue errors", m.enqueueErrs.WithLabelValues("seed"), 1},
		{"shed", m.shed.WithLabelValues("seed"), 3},
	} {
		var pb dto.Metric
		c.c.Write(&pb)
		if got := pb.GetCounter().GetValue(); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
}

func BenchmarkIngestRequest(b *testing.B) {
	m := NewIngestMetrics(prometheus.NewRegistry())
	b.ReportAllocs()
	for b.Loop() {
		m.Request("seed", 200, webhook.OutcomeAccepted, time.Millisecond, 1000)
	}
}
