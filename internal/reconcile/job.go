package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// TaskType is the periodic reconciliation's Asynq task; its payload is the
// source name. Route tasks are "hookq:<route>", so no route can take it.
const TaskType = "hookq-reconcile"

// Periodic is a Reconciler run every Interval by the workers.
type Periodic struct {
	R        *Reconciler
	Interval time.Duration // at least a minute
}

// Job runs periodic reconciliations in workers.
//
// Every worker runs an Asynq Scheduler, and Asynq v0.26.0 schedulers do not
// coordinate: each enqueues its own task on its own clock. Two guards make
// that one run per interval across all workers. Unique(interval) refuses a
// second task while the first is queued or running (the lock expires by
// itself, so a crashed run cannot block later ones, which a fixed TaskID
// would once archived). A run lease in Redis, held for 9/10 of the interval,
// turns a task enqueued by a late scheduler after the first run finished
// into a no-op. Overlapping runs would be harmless anyway: both feed the
// same atomic dedupe.
type Job struct {
	runs map[string]Periodic
	rdb  redis.UniversalClient
	log  *zap.Logger
	m    *prometheus.CounterVec
	last *prometheus.GaugeVec
}

// NewJob returns the job for runs; reg, when not nil, gets its metrics.
func NewJob(runs []Periodic, rdb redis.UniversalClient, log *zap.Logger, reg prometheus.Registerer) *Job {
	j := &Job{runs: map[string]Periodic{}, rdb: rdb, log: log,
		m: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookq_reconcile_events_total",
			Help: "Provider events seen by periodic reconciliation, by outcome (missed = enqueued or redelivered; run_failed counts failed runs)."},
			[]string{"source", "outcome"}),
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hookq_reconcile_last_success_timestamp_seconds",
			Help: "When this worker last finished a periodic reconciliation run without error (alert when it falls behind)."},
			[]string{"source"})}
	for _, p := range runs {
		if p.Interval > 0 {
			j.runs[p.R.Source()] = p
		}
	}
	if reg != nil {
		reg.MustRegister(j.m, j.last)
	}
	return j
}

// LeaseKey is the lease a source's periodic run holds.
func LeaseKey(source string) string { return "hookq:{webhooks}:reconcile:" + source + ":lease" }

// Wrap routes reconciliation tasks to the job and everything else to next.
func (j *Job) Wrap(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if t.Type() == TaskType {
			return j.ProcessTask(ctx, t)
		}
		return next.ProcessTask(ctx, t)
	})
}

// ProcessTask runs one source's reconciliation unless another run holds
// the period's lease. It never fails the task: a failed run is logged and
// counted, and the next period's run covers its window again.
func (j *Job) ProcessTask(ctx context.Context, t *asynq.Task) error {
	source := string(t.Payload())
	p, ok := j.runs[source]
	if !ok {
		j.log.Warn("reconcile: task for a source without reconciliation; config changed?", zap.String("source", source))
		return nil
	}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	got, err := j.rdb.SetNX(ctx, LeaseKey(source), hex.EncodeToString(nonce), p.Interval*9/10).Result()
	if err != nil {
		j.log.Warn("reconcile: lease", zap.String("source", source), zap.Error(err))
		j.m.WithLabelValues(source, "run_failed").Inc()
		return nil
	}
	if !got {
		j.log.Debug("reconcile: this period already ran", zap.String("source", source))
		return nil
	}
	start := time.Now()
	rep, err := p.R.Run(ctx, Options{})
	if rep != nil {
		for outcome, n := range map[string]int{"present": rep.Present, "missed": rep.Enqueued + rep.Redelivered, "ignored": rep.Ignored, "malformed": rep.Malformed} {
			j.m.WithLabelValues(source, outcome).Add(float64(n))
		}
	}
	if err != nil {
		j.m.WithLabelValues(source, "run_failed").Inc()
		j.log.Error("reconcile: run failed; the next run covers its window", zap.String("source", source), zap.Error(err))
		return nil
	}
	j.last.WithLabelValues(source).SetToCurrentTime()
	j.log.Info("reconcile: run done", zap.String("source", source), zap.Time("from", rep.From), zap.Time("until", rep.Until),
		zap.Int("listed", rep.Listed), zap.Int("present", rep.Present), zap.Int("enqueued", rep.Enqueued),
		zap.Int("redelivered", rep.Redelivered), zap.Int("ignored", rep.Ignored), zap.Duration("took", time.Since(start)))
	return nil
}

// Schedule starts a Scheduler enqueuing each source's task into queue every
// interval, and returns the function that stops it (it shares rdb and does
// not close it). Without periodic runs it starts nothing.
func (j *Job) Schedule(rdb redis.UniversalClient, queue string, logger asynq.Logger) (stop func(), err error) {
	if len(j.runs) == 0 {
		return func() {}, nil
	}
	s := asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{
		Logger:   quiet{logger},
		LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				j.log.Warn("reconcile: scheduler could not enqueue", zap.Error(err))
			}
		},
	})
	for source, p := range j.runs {
		_, err := s.Register("@every "+p.Interval.String(), asynq.NewTask(TaskType, []byte(source)),
			asynq.Queue(queue), asynq.Unique(p.Interval), asynq.MaxRetry(0), asynq.Timeout(p.Interval))
		if err != nil {
			return nil, err
		}
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	for source, p := range j.runs {
		j.log.Info("reconcile: scheduled", zap.String("source", source), zap.Duration("interval", p.Interval))
	}
	return s.Shutdown, nil
}

// quiet drops the error a Scheduler logs on shutdown for a shared Redis
// client ("can't be closed through asynq"): closing it is the caller's job.
type quiet struct{ asynq.Logger }

func (q quiet) Error(args ...any) {
	if len(args) == 1 {
		if msg, ok := args[0].(string); ok && strings.Contains(msg, "connection is shared") {
			return
		}
	}
	q.Logger.Error(args...)
}
