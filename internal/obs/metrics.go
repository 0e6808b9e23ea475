package obs

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// IngestMetrics implements ingest.Metrics.
type IngestMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	bodyBytes   *prometheus.HistogramVec
	dedupeHits  *prometheus.CounterVec
	enqueueErrs *prometheus.CounterVec
	redis       *prometheus.HistogramVec
}

// NewIngestMetrics registers the ingest series on reg.
func NewIngestMetrics(reg prometheus.Registerer) *IngestMetrics {
	m := &IngestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_ingest_requests_total",
			Help: "Webhook requests by source, HTTP status and reason."}, []string{"source", "status", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookq_ingest_request_duration_seconds",
			Help: "Webhook request latency.", Buckets: latencyBuckets}, []string{"source"}),
		bodyBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookq_ingest_body_bytes",
			Help: "Webhook body sizes.", Buckets: prometheus.ExponentialBuckets(256, 4, 8)}, []string{"source"}),
		dedupeHits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_ingest_dedupe_hits_total",
			Help: "Deliveries answered as duplicates."}, []string{"source"}),
		enqueueErrs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_ingest_enqueue_errors_total",
			Help: "Dedupe+enqueue failures (answered 503)."}, []string{"source"}),
		redis: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookq_redis_duration_seconds",
			Help: "Redis round trips by operation.", Buckets: latencyBuckets}, []string{"op"}),
	}
	reg.MustRegister(m.requests, m.duration, m.bodyBytes, m.dedupeHits, m.enqueueErrs, m.redis)
	return m
}

// Request implements ingest.Metrics.
func (m *IngestMetrics) Request(source string, status int, reason string, elapsed time.Duration, bodyBytes int) {
	m.requests.WithLabelValues(source, strconv.Itoa(status), reason).Inc()
	m.duration.WithLabelValues(source).Observe(elapsed.Seconds())
	if bodyBytes > 0 {
		m.bodyBytes.WithLabelValues(source).Observe(float64(bodyBytes))
	}
	switch reason {
	case "duplicate":
		m.dedupeHits.WithLabelValues(source).Inc()
	case "queue_unavailable":
		m.enqueueErrs.WithLabelValues(source).Inc()
	}
}

// Redis implements ingest.Metrics.
func (m *IngestMetrics) Redis(elapsed time.Duration, err error) {
	m.redis.WithLabelValues("enqueue").Observe(elapsed.Seconds())
}

// WorkerMetrics implements worker.Metrics.
type WorkerMetrics struct {
	outcomes map[string]*prometheus.CounterVec
	duration *prometheus.HistogramVec
	trimmed  prometheus.Counter
}

// NewWorkerMetrics registers the worker series on reg.
func NewWorkerMetrics(reg prometheus.Registerer) *WorkerMetrics {
	labels := []string{"route", "event_type"}
	m := &WorkerMetrics{outcomes: map[string]*prometheus.CounterVec{}}
	for outcome, help := range map[string]string{
		"processed":     "Tasks whose handler succeeded.",
		"failed":        "Handler attempts that failed (retried or dead-lettered).",
		"retried":       "Failed attempts scheduled for a retry.",
		"dead_lettered": "Tasks moved to the dead-letter queue (Asynq archive).",
	} {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_worker_tasks_" + outcome + "_total", Help: help}, labels)
		reg.MustRegister(c)
		m.outcomes[outcome] = c
	}
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookq_worker_handler_duration_seconds",
		Help: "Handler run time.", Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, labels)
	trimmed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_archive_trimmed_total",
		Help: "Archived (dead-lettered) tasks Asynq trimmed to make room; their events stay in the dead-letter stream."},
		[]string{"queue"})
	m.trimmed = trimmed.WithLabelValues("webhooks")
	reg.MustRegister(m.duration, trimmed)
	return m
}

// ArchiveTrimmed implements worker.Metrics.
func (m *WorkerMetrics) ArchiveTrimmed(n int) { m.trimmed.Add(float64(n)) }

// Task implements worker.Metrics.
func (m *WorkerMetrics) Task(route, eventType, outcome string, elapsed time.Duration) {
	m.duration.WithLabelValues(route, eventType).Observe(elapsed.Seconds())
	if c, ok := m.outcomes[outcome]; ok {
		c.WithLabelValues(route, eventType).Inc()
	}
	if outcome != "processed" {
		m.outcomes["failed"].WithLabelValues(route, eventType).Inc()
	}
}
