// Command worker runs hookq's route handlers on queued webhook tasks. Start
// as many as the load needs: they share the queue through Redis.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/handlers"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/reconcile"
	"github.com/hookq/hookq/internal/store"
	"github.com/hookq/hookq/internal/worker"
)

func main() {
	app.Main("worker", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stderr) })
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, err := app.Boot("worker", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer log.Sync()
	rdb, _, err := app.Redis(cfg.Redis.URL)
	if err != nil {
		return err
	}
	defer rdb.Close()

	shards := queue.NewShards(cfg.Queue.Shards)
	routes, err := buildRoutes(cfg, log, handlers.Seed(store.New(rdb), store.NewOnce(rdb, onceLease(cfg), 0), log.Sugar().Infof))
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tracer, flush, err := app.Tracing(ctx, cfg, "hookq-worker", log)
	if err != nil {
		return err
	}
	defer flush()
	mux := worker.NewMux(log, routes, worker.MuxOptions{
		Metrics:        obs.NewWorkerMetrics(reg, routeEvents(cfg)),
		DeadLetters:    queue.NewDeadLetters(rdb, queue.DeadLetterLimits{MaxBytes: cfg.Worker.DeadLetterMaxBytes}).WithShards(shards),
		Tracer:         tracer,
		Limiter:        worker.NewLimiter(rdb),
		RecordResults:  cfg.History.Retention > 0,
		DefaultBackoff: worker.Backoff{Base: config.DefaultBackoffBase, Max: config.DefaultBackoffMax},
	})
	periodic, err := app.Reconcilers(cfg, rdb, log)
	if err != nil {
		return err
	}
	recon := reconcile.NewJob(periodic, rdb, log, reg)

	var redisErr atomic.Pointer[error]
	srv := worker.NewServers(rdb, cfg.Worker.Fetchers, asynq.Config{
		Concurrency:       cfg.Worker.Concurrency,
		Queues:            shards.Weights(), // every shard alike
		RetryDelayFunc:    mux.RetryDelay,
		IsFailure:         worker.IsFailure, // a deferral (route full) spends no retry
		ShutdownTimeout:   cfg.Worker.ShutdownTimeout,
		TaskCheckInterval: cfg.Worker.PollInterval, // idle pickup latency
		// Asynq moves due retries to pending every 5 s by default, which
		// would stretch a route's shorter backoff; check often enough.
		DelayedTaskCheckInterval: delayedCheckInterval(routes),
		// Kept history expires through Asynq's janitor, by default 100
		// tasks every 8 s per worker: far below a busy ingest's rate, so
		// expired tasks would pile up. Every second keeps up with 100
		// events a second per worker (larger batches make Asynq warn).
		JanitorInterval:     time.Second,
		Logger:              obs.AsynqLogger{S: log.Sugar()},
		LogLevel:            asynq.WarnLevel,
		HealthCheckFunc:     func(err error) { redisErr.Store(&err) },
		HealthCheckInterval: 3 * time.Second, // /readyz recovers this soon after Redis does
	})
	if err := srv.Start(recon.Wrap(mux)); err != nil {
		return err
	}
	stopSchedule, err := recon.Schedule(rdb, shards.Names()[0], obs.AsynqLogger{S: log.Sugar()})
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("reconcile scheduler: %w", err)
	}
	log.Info("processing", zap.Strings("queues", shards.Names()), zap.Int("concurrency", cfg.Worker.Concurrency),
		zap.Int("fetchers", srv.Len()), zap.Duration("poll_interval", cfg.Worker.PollInterval), zap.String("routes", mux.Routes()))

	var stopping atomic.Bool
	ready := func(ctx context.Context) ([]string, error) {
		if stopping.Load() {
			return nil, errors.New("shutting down")
		}
		if p := redisErr.Load(); p != nil && *p != nil {
			return nil, fmt.Errorf("asynq health check: %w", *p)
		}
		return nil, queue.Ready(ctx, rdb)
	}
	adminH := obs.NewAdmin(ready, reg, "", nil, config.AdminIsLoopback(cfg.Worker.AdminListen))
	if cfg.Worker.Pprof {
		adminH = obs.WithPprof(adminH, config.AdminIsLoopback(cfg.Worker.AdminListen))
	}
	admin := app.AdminServer(adminH)
	err = app.Serve(ctx, log, 5*time.Second, app.Listener{Name: "admin", Addr: cfg.Worker.AdminListen, Server: admin})
	stopping.Store(true)
	stopSchedule()
	log.Info("stopping: no new tasks; waiting for in-flight handlers", zap.Duration("bound", cfg.Worker.ShutdownTimeout))
	srv.Shutdown() // stops fetching, waits up to ShutdownTimeout, re-queues what is left
	log.Info("stopped")
	return err
}

// buildRoutes resolves each route's handler: forward, log, or a business
// handler registered by name.
func buildRoutes(cfg *config.Config, log *zap.Logger, business map[string]handlers.Func) ([]worker.Route, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 90 * time.Second}}
	var out []worker.Route
	for _, r := range cfg.Routes {
		var h worker.Handler
		switch r.Handler {
		case "forward":
			h = worker.Forward(client, r.URL, r.Timeout, r.PassHeaders)
		case "log":
			h = worker.Log(log)
		default:
			f, ok := business[r.Handler]
			if !ok {
				return nil, fmt.Errorf("routes: %s: handler %q is not forward, log or a registered handler", r.Name, r.Handler)
			}
			h = f
		}
		out = append(out, worker.Route{Name: r.Name, Handler: h, Backoff: worker.Backoff{Base: r.Backoff.Base, Max: r.Backoff.Max},
			Timeout: r.Timeout, MaxInFlight: r.MaxInFlight})
	}
	return out, nil
}

// routeEvents maps each route to its events globs (metric labels).
func routeEvents(cfg *config.Config) map[string][]string {
	out := make(map[string][]string, len(cfg.Routes))
	for _, r := range cfg.Routes {
		out[r.Name] = r.Events
	}
	return out
}

// delayedCheckInterval is a tenth of the shortest first retry delay (half
// a route's backoff base, or a deferral's delay on a bounded route), between
// 100 ms and Asynq's default 5 s: a retry is then late by at most a tenth of
// its delay.
func delayedCheckInterval(routes []worker.Route) time.Duration {
	d := 5 * time.Second
	for _, r := range routes {
		d = min(d, r.Backoff.Base/2/10)
		if r.MaxInFlight > 0 {
			d = min(d, worker.MinDefer/10)
		}
	}
	return max(d, 100*time.Millisecond)
}

// onceLease outlasts any handler run: the longest route timeout (plus the
// task's margin) and a minute to spare, at least 5 minutes.
func onceLease(cfg *config.Config) time.Duration {
	lease := 5 * time.Minute
	for _, r := range cfg.Routes {
		lease = max(lease, r.Task().Timeout+time.Minute)
	}
	return lease
}
