package obs

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookq/hookq/internal/webhook"
)

var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// IngestMetrics implements ingest.Metrics. Series are looked up once per
// label set and kept: WithLabelValues hashes and allocates on every call,
// which showed in the request path's profile.
type IngestMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	bodyBytes   *prometheus.HistogramVec
	dedupeHits  *prometheus.CounterVec
	enqueueErrs *prometheus.CounterVec
	shed        *prometheus.CounterVec
	redis       prometheus.Observer

	mu       sync.RWMutex
	bySource map[string]*sourceSeries
	byAnswer map[answerKey]prometheus.Counter
}

type sourceSeries struct {
	duration, bodyBytes           prometheus.Observer
	dedupeHits, enqueueErrs, shed prometheus.Counter
}

type answerKey struct {
	source  string
	status  int
	outcome webhook.Outcome
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
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_ingest_shed_total",
			Help: "Requests refused with 503 + Retry-After because ingest.max_concurrent_reads or ingest.max_in_flight was reached."}, []string{"source"}),
		bySource: map[string]*sourceSeries{},
		byAnswer: map[answerKey]prometheus.Counter{},
	}
	redis := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookq_redis_duration_seconds",
		Help: "Redis round trips by operation.", Buckets: latencyBuckets}, []string{"op"})
	m.redis = redis.WithLabelValues("enqueue")
	reg.MustRegister(m.requests, m.duration, m.bodyBytes, m.dedupeHits, m.enqueueErrs, m.shed, redis)
	return m
}

// Request implements ingest.Metrics.
func (m *IngestMetrics) Request(source string, status int, outcome webhook.Outcome, elapsed time.Duration, bodyBytes int) {
	s, c := m.series(source, status, outcome)
	c.Inc()
	s.duration.Observe(elapsed.Seconds())
	if bodyBytes > 0 {
		s.bodyBytes.Observe(float64(bodyBytes))
	}
	switch outcome {
	case webhook.OutcomeDuplicate:
		s.dedupeHits.Inc()
	case webhook.OutcomeQueueUnavailable:
		s.enqueueErrs.Inc()
	case webhook.OutcomeOverloaded:
		s.shed.Inc()
	}
}

// series returns the cached series of source and of one answer. Labels
// are bounded: source is a configured name or "" (ingest never passes a
// stranger's), status and outcome come from ingest's error table.
func (m *IngestMetrics) series(source string, status int, outcome webhook.Outcome) (*sourceSeries, prometheus.Counter) {
	k := answerKey{source, status, outcome}
	m.mu.RLock()
	s, c := m.bySource[source], m.byAnswer[k]
	m.mu.RUnlock()
	if s != nil && c != nil {
		return s, c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s = m.bySource[source]; s == nil {
		s = &sourceSeries{duration: m.duration.WithLabelValues(source), bodyBytes: m.bodyBytes.WithLabelValues(source),
			dedupeHits: m.dedupeHits.WithLabelValues(source), enqueueErrs: m.enqueueErrs.WithLabelValues(source),
			shed: m.shed.WithLabelValues(source)}
		m.bySource[source] = s
	}
	if c = m.byAnswer[k]; c == nil {
		c = m.requests.WithLabelValues(source, strconv.Itoa(status), string(outcome))
		m.byAnswer[k] = c
	}
	return s, c
}

// Redis implements ingest.Metrics.
func (m *IngestMetrics) Redis(elapsed time.Duration, err error) {
	m.redis.Observe(elapsed.Seconds())
}

// WorkerMetrics implements worker.Metrics.
type WorkerMetrics struct {
	outcomes      map[string]*prometheus.CounterVec
	duration      *prometheus.HistogramVec
	trimmed       *prometheus.CounterVec
	streamTrimmed prometheus.Counter
	events        map[string][]string
}

// OtherEventType is the event_type label of every type no route names.
const OtherEventType = "other"

// NewWorkerMetrics registers the worker series on reg. routeEvents holds
// each route's events globs: the event_type label is the type itself when
// the route names it literally, the matching glob when one matches, and
// "other" otherwise. Event types are chosen by whoever sends the webhook
// (in GitHub, Shopify and GitLab they are not even signed), so labels come
// only from the configuration and strangers cannot create series.
func NewWorkerMetrics(reg prometheus.Registerer, routeEvents map[string][]string) *WorkerMetrics {
	labels := []string{"route", "event_type"}
	m := &WorkerMetrics{outcomes: map[string]*prometheus.CounterVec{}, events: routeEvents}
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
	m.trimmed = trimmed
	m.streamTrimmed = prometheus.NewCounter(prometheus.CounterOpts{Name: "hookq_dead_letter_stream_trimmed_total",
		Help: "Dead-letter stream entries removed to keep the stream within its entry and byte bounds (each is logged)."})
	reg.MustRegister(m.duration, trimmed, m.streamTrimmed)
	return m
}

// StreamTrimmed implements worker.Metrics.
func (m *WorkerMetrics) StreamTrimmed(n int) { m.streamTrimmed.Add(float64(n)) }

// DeadLetterStreamSize reports the dead-letter stream's entries and bytes
// (queue.DeadLetters.StreamSize).
type DeadLetterStreamSize func(ctx context.Context) (entries, bytes int64, err error)

// NewDeadLetterStreamCollector exports the dead-letter stream's size and
// bounds at each scrape: two Redis reads.
func NewDeadLetterStreamCollector(size DeadLetterStreamSize, maxEntries, maxBytes int64) prometheus.Collector {
	return &dlqCollector{size: size, maxEntries: maxEntries, maxBytes: maxBytes,
		entries:  prometheus.NewDesc("hookq_dead_letter_stream_entries", "Entries in the dead-letter stream.", nil, nil),
		bytes:    prometheus.NewDesc("hookq_dead_letter_stream_bytes", "Bytes of field names and values in the dead-letter stream.", nil, nil),
		maxE:     prometheus.NewDesc("hookq_dead_letter_stream_max_entries", "Entries past which the oldest dead-letter stream entries are trimmed.", nil, nil),
		maxB:     prometheus.NewDesc("hookq_dead_letter_stream_max_bytes", "Bytes past which the oldest dead-letter stream entries are trimmed.", nil, nil),
		scrapeOK: prometheus.NewDesc("hookq_dead_letter_stream_scrape_ok", "1 when the dead-letter stream size could be read.", nil, nil)}
}

type dlqCollector struct {
	size                                 DeadLetterStreamSize
	maxEntries, maxBytes                 int64
	entries, bytes, maxE, maxB, scrapeOK *prometheus.Desc
}

func (c *dlqCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.entries, c.bytes, c.maxE, c.maxB, c.scrapeOK} {
		ch <- d
	}
}

func (c *dlqCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.maxE, prometheus.GaugeValue, float64(c.maxEntries))
	ch <- prometheus.MustNewConstMetric(c.maxB, prometheus.GaugeValue, float64(c.maxBytes))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, b, err := c.size(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(b))
}

// ArchiveTrimmed implements worker.Metrics: queue is the Asynq queue (shard)
// whose archive was trimmed, one of the configured queue names.
func (m *WorkerMetrics) ArchiveTrimmed(queue string, n int) {
	m.trimmed.WithLabelValues(queue).Add(float64(n))
}

// typeLabel bounds eventType to the values route's configuration names.
func (m *WorkerMetrics) typeLabel(route, eventType string) string {
	globs := m.events[route]
	for _, g := range globs {
		if g == eventType {
			return eventType
		}
	}
	for _, g := range globs {
		if webhook.MatchType(g, eventType) {
			return g
		}
	}
	return OtherEventType
}

// Task implements worker.Metrics.
func (m *WorkerMetrics) Task(route, eventType, outcome string, elapsed time.Duration) {
	eventType = m.typeLabel(route, eventType)
	m.duration.WithLabelValues(route, eventType).Observe(elapsed.Seconds())
	if c, ok := m.outcomes[outcome]; ok {
		c.WithLabelValues(route, eventType).Inc()
	}
	if outcome != "processed" {
		m.outcomes["failed"].WithLabelValues(route, eventType).Inc()
	}
}

// QueueInfoReader reads Asynq's registered queues and one queue's current
// numbers (asynq.Inspector).
type QueueInfoReader interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// NewQueueCollector exports, at each scrape, the tasks by state and the
// pending latency of every queue in names (queue.Shards.Names: the
// configured shards, whether or not anything was enqueued to them yet),
// labelled queue=<name>. Each queue costs two scripts in its own slot, so
// on a Redis Cluster every read goes to the master holding that shard; a
// queue that cannot be read reports hookq_queue_scrape_ok 0 and the others
// are still exported.
func NewQueueCollector(r QueueInfoReader, names []string) prometheus.Collector {
	return &queueCollector{r: r, names: names,
		tasks: prometheus.NewDesc("hookq_queue_tasks", "Tasks of a hookq queue (shard) by state: pending, active, scheduled, retry, archived (dead-lettered), completed.",
			[]string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("hookq_queue_latency_seconds", "How long the oldest pending task of a hookq queue (shard) has waited.",
			[]string{"queue"}, nil),
		scrapeOK: prometheus.NewDesc("hookq_queue_scrape_ok", "1 when the queue's numbers could be read.", []string{"queue"}, nil)}
}

type queueCollector struct {
	r                        QueueInfoReader
	names                    []string
	tasks, latency, scrapeOK *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.latency
	ch <- c.scrapeOK
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	registered, listErr := c.r.Queues()
	for _, q := range c.names {
		info, err := c.read(q, registered, listErr)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 0, q)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.scrapeOK, prometheus.GaugeValue, 1, q)
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled},
			{"retry", info.Retry}, {"archived", info.Archived}, {"completed", info.Completed}} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(s.n), q, s.state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
	}
}

// read returns queue q's numbers. Asynq registers a queue at its first
// enqueue and refuses to read one it does not know: until then a
// configured shard is empty, not an error.
func (c *queueCollector) read(q string, registered []string, listErr error) (*asynq.QueueInfo, error) {
	if listErr != nil {
		return nil, listErr
	}
	if !slices.Contains(registered, q) {
		return &asynq.QueueInfo{Queue: q}, nil
	}
	return c.r.GetQueueInfo(q)
}
