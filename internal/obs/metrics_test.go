package obs

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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
