package obs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookq/hookq/internal/spool"
)

// SpoolMetrics implements spool.Metrics and exports the spool's gauges.
type SpoolMetrics struct {
	spooled, refused prometheus.Counter
	drained          *prometheus.CounterVec
}

// NewSpoolMetrics registers the spool series on reg; stats is read on each
// scrape.
func NewSpoolMetrics(reg prometheus.Registerer, stats func() spool.Stats) *SpoolMetrics {
	m := &SpoolMetrics{
		spooled: prometheus.NewCounter(prometheus.CounterOpts{Name: "hookq_spool_appended_total",
			Help: "Events written to the local spool because Redis could not take them (answered 200, spooled)."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "hookq_spool_refused_total",
			Help: "Events neither Redis nor the spool could take (full or disk error): answered 503."}),
		drained: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_spool_drained_total",
			Help: "Records that left the spool: accepted / duplicate (their tasks are in Redis), corrupt or rejected (moved aside)."}, []string{"result"}),
	}
	for _, r := range []string{"accepted", "duplicate", "corrupt", "rejected"} {
		m.drained.WithLabelValues(r)
	}
	gauge := func(name, help string, f func(spool.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	reg.MustRegister(m.spooled, m.refused, m.drained,
		gauge("hookq_spool_records", "Events in the local spool, not yet in Redis.", func(s spool.Stats) float64 { return float64(s.Records) }),
		gauge("hookq_spool_bytes", "Bytes of events in the local spool.", func(s spool.Stats) float64 { return float64(s.Bytes) }),
		gauge("hookq_spool_max_bytes", "ingest.spool.max_bytes: past it webhooks get 503.", func(s spool.Stats) float64 { return float64(s.MaxBytes) }),
		gauge("hookq_spool_oldest_record_age_seconds", "Age of the oldest event in the local spool; 0 when empty.", func(s spool.Stats) float64 {
			if s.Oldest.IsZero() {
				return 0
			}
			return time.Since(s.Oldest).Seconds()
		}),
	)
	return m
}

// Spooled implements spool.Metrics.
func (m *SpoolMetrics) Spooled() { m.spooled.Inc() }

// Refused implements spool.Metrics.
func (m *SpoolMetrics) Refused() { m.refused.Inc() }

// Drained implements spool.Metrics.
func (m *SpoolMetrics) Drained(result string) { m.drained.WithLabelValues(result).Inc() }
