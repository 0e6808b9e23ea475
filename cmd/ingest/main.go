// Command ingest is hookq's public webhook receiver.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hibiken/asynq"
	metrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/ingest"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/spool"
	"github.com/hookq/hookq/internal/verify"
)

func main() {
	app.Main("ingest", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stderr) })
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, err := app.Boot("ingest", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer log.Sync()
	sources, err := buildSources(cfg)
	if err != nil {
		return err
	}
	rdb, connOpt, err := app.Redis(cfg.Redis.URL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	go warnDurability(ctx, log, rdb) // only logs: a Redis that is down must not delay serving from the spool

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := obs.NewIngestMetrics(reg)
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	shards := queue.NewShards(cfg.Queue.Shards)
	// The queue collectors run Redis scripts on every scrape: only ingest
	// exports them. Asynq's (asynq_*, read by the dashboard's metrics view)
	// covers every registered queue; hookq's (hookq_queue_*) the configured
	// shards, by state.
	reg.MustRegister(metrics.NewQueueMetricsCollector(inspector), obs.NewQueueCollector(inspector, shards.Names()))
	dl := queue.NewDeadLetters(rdb, queue.DeadLetterLimits{MaxBytes: cfg.Worker.DeadLetterMaxBytes}).WithShards(shards)
	reg.MustRegister(obs.NewDeadLetterStreamCollector(dl.StreamSize, dl.Limits().MaxEntries, dl.Limits().MaxBytes))

	var dashboard http.Handler
	if !cfg.Dashboard.Disabled && (cfg.Dashboard.Password != "" || config.AdminIsLoopback(cfg.Ingest.AdminListen)) {
		h, closeDash := obs.Dashboard(obs.DashboardOptions{Path: cfg.Dashboard.Path, Redis: connOpt,
			Username: cfg.Dashboard.Username, Password: string(cfg.Dashboard.Password), ReadOnly: cfg.Dashboard.ReadOnly,
			Formatter: obs.PayloadFormatter(cfg.Dashboard.Redact), Prometheus: cfg.Dashboard.PrometheusURL})
		defer closeDash()
		dashboard = h
		log.Info("dashboard", zap.String("url", "http://"+cfg.Ingest.AdminListen+cfg.Dashboard.Path), zap.Bool("auth", cfg.Dashboard.Password != ""))
	} else {
		log.Warn("dashboard not served: set dashboard.password, or bind ingest.admin_listen to loopback")
	}

	tracer, flush, err := app.Tracing(ctx, cfg, "hookq-ingest", log)
	if err != nil {
		return err
	}
	defer flush()
	enqueuer := queue.NewEnqueuer(rdb).WithShards(shards)
	if n := cfg.Redis.AckReplicas; n > 0 {
		ackRdb, err := app.RedisForWait(cfg.Redis.URL, cfg.Redis.AckTimeout)
		if err != nil {
			return err
		}
		defer ackRdb.Close()
		enqueuer.WithReplicaAck(ackRdb, n, cfg.Redis.AckTimeout)
		log.Info("answers wait for replicas", zap.Int("ack_replicas", n), zap.Duration("ack_timeout", cfg.Redis.AckTimeout))
	}
	var enq ingest.Enqueuer = enqueuer
	var sp *spool.Spool
	if cfg.Ingest.Spool.Dir != "" {
		sm := obs.NewSpoolMetrics(reg, func() spool.Stats { return sp.Stats() })
		sp, err = spool.Open(log, enq, spool.Options{Dir: cfg.Ingest.Spool.Dir, MaxBytes: cfg.Ingest.Spool.MaxBytes,
			RedisTimeout: cfg.Ingest.RedisTimeout, Metrics: sm})
		if err != nil {
			return err
		}
		defer sp.Close()
		enq = sp
		log.Info("spool", zap.String("dir", cfg.Ingest.Spool.Dir), zap.Int64("max_bytes", cfg.Ingest.Spool.MaxBytes))
	}
	public := &http.Server{
		Handler: ingest.NewServer(log, sources, enq, queue.NewTokens(rdb), m, ingest.Options{
			MaxBodyBytes: cfg.Ingest.MaxBodyBytes, RedisTimeout: cfg.Ingest.RedisTimeout, Tracer: tracer,
			MaxConcurrentReads: cfg.Ingest.MaxConcurrentReads, MaxInFlight: cfg.Ingest.MaxInFlight}),
		ReadHeaderTimeout: 5 * time.Second,  // slow-header clients are cut off
		ReadTimeout:       10 * time.Second, // slow-body clients too
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10, // larger header blocks get 431
	}
	ready := func(ctx context.Context) ([]string, error) {
		if sp != nil { // leave time to answer from the spool
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Second)
			defer cancel()
		}
		if err := queue.Ready(ctx, rdb); err != nil {
			// With room on the spool, webhooks are still acknowledged durably.
			if sp != nil && sp.Accepting() {
				return []string{"redis unavailable, events go to the local spool: " + err.Error()}, nil
			}
			return nil, err
		}
		return queue.DurabilityWarnings(ctx, rdb)
	}
	adminH := obs.NewAdmin(ready, reg, cfg.Dashboard.Path, dashboard, config.AdminIsLoopback(cfg.Ingest.AdminListen))
	if cfg.Ingest.Pprof {
		adminH = obs.WithPprof(adminH, config.AdminIsLoopback(cfg.Ingest.AdminListen))
	}
	admin := app.AdminServer(adminH)
	return app.Serve(ctx, log, 10*time.Second,
		app.Listener{Name: "public", Addr: cfg.Ingest.Listen, Server: public, MaxConns: cfg.Ingest.MaxConnections},
		app.Listener{Name: "admin", Addr: cfg.Ingest.AdminListen, Server: admin})
}

// buildSources turns config sources and routes into ingest's view of them.
func buildSources(cfg *config.Config) (map[string]*ingest.Source, error) {
	out := make(map[string]*ingest.Source, len(cfg.Sources))
	for _, s := range cfg.Sources {
		spec := s.Spec()
		v, err := verify.New(spec)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		kind, _ := verify.Lookup(s.Verifier.Type)
		idDef, typeDef := kind.EventID, kind.EventType
		format := kind.Format(spec)
		if format == verify.FormatForm && kind.Format(verify.Spec{}) != verify.FormatForm {
			idDef, typeDef = kind.FormEventID, kind.FormEventType
		}
		src := &ingest.Source{Name: s.Name, Type: s.Verifier.Type, Verifier: v, DedupeTTL: s.DedupeTTL,
			EventID: field(s.EventID, idDef), EventType: field(s.EventType, typeDef),
			Format: format, SignatureHeaders: verify.SignatureHeaders(spec)}
		out[s.Name] = src
	}
	for _, r := range cfg.Routes {
		src := out[r.Source]
		task := r.Task()
		task.Retention = cfg.History.Retention
		src.Routes = append(src.Routes, ingest.Route{Events: r.Events, PassHeaders: r.PassHeaders, Task: task})
	}
	return out, nil
}

func field(f config.Field, def verify.Field) verify.Field {
	if f.Header == "" && f.JSON == "" {
		return def
	}
	return verify.Field{Header: f.Header, JSON: f.JSON}
}

// warnDurability logs, loudly, every way the Redis in use could lose an
// event hookq acknowledged. It does not refuse to start: a dev Redis is fine.
func warnDurability(ctx context.Context, log *zap.Logger, rdb redis.UniversalClient) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	warns, err := queue.DurabilityWarnings(ctx, rdb)
	if err != nil {
		log.Warn("redis unreachable at start-up: webhooks get 503 until it answers", zap.Error(err))
		return
	}
	for _, w := range warns {
		log.Warn("REDIS MAY LOSE ACKNOWLEDGED EVENTS: " + w)
	}
}
