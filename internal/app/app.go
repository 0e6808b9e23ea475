// Package app holds the start-up plumbing both processes share: config and
// logger from flags, the Redis client, and serving listeners until the
// context ends. It keeps cmd/* down to wiring.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/net/netutil"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/redisconn"
	"github.com/hookq/hookq/internal/trace"
)

// Boot parses -config (or HOOKQ_CONFIG), loads the file and builds the
// logger. With log.flush_interval the logger buffers info lines: the caller
// must Sync it before exiting (a fatal line flushes on its own).
func Boot(name string, args []string, getenv func(string) string, stderr io.Writer) (*config.Config, *zap.Logger, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", getenv("HOOKQ_CONFIG"), "config file (env HOOKQ_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if *path == "" {
		return nil, nil, errors.New("no config: pass -config FILE or set HOOKQ_CONFIG")
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		return nil, nil, err
	}
	format := cfg.Log.Format
	if f := getenv("HOOKQ_LOG_FORMAT"); f != "" {
		format = f
	}
	console := format == "console" || format == "auto" && obs.IsTerminal(stderr)
	log, err := obs.NewLoggerWith(stderr, cfg.Log.Level, obs.LogOptions{Console: console, SampleFirst: cfg.Log.SampleFirst,
		FlushInterval: *cfg.Log.FlushInterval})
	if err != nil {
		return nil, nil, err
	}
	return cfg, log.With(zap.String("process", name)), nil
}

// Redis returns a client for url (redis://, rediss://, redis-sentinel://,
// redis-cluster://; see redisconn) whose every command is bounded by its
// context and by short socket timeouts, so a stalled Redis cannot hold a
// request, and the same connection as an Asynq option for the dashboard.
func Redis(url string) (redis.UniversalClient, asynq.RedisConnOpt, error) {
	spec, err := redisconn.Parse(url)
	if err != nil {
		return nil, nil, fmt.Errorf("redis.url: %w", err)
	}
	t := redisconn.Tuning{DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		PoolTimeout: 2 * time.Second, PoolSize: 64}
	rdb, err := spec.Client(t)
	if err != nil {
		return nil, nil, fmt.Errorf("redis.url %s: %w", spec, err)
	}
	connOpt, err := spec.AsynqOpt(t)
	if err != nil {
		return nil, nil, fmt.Errorf("redis.url %s: %w", spec, err)
	}
	return rdb, connOpt, nil
}

// RedisForWait is a client of its own for the enqueue script followed by
// WAIT: its reads may block for wait, and its small pool keeps a stalled
// WAIT (after a failover, replicas can be slow to reattach) from holding
// connections the rest of the process needs.
func RedisForWait(url string, wait time.Duration) (redis.UniversalClient, error) {
	spec, err := redisconn.Parse(url)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	rdb, err := spec.Client(redisconn.Tuning{DialTimeout: time.Second, ReadTimeout: wait + 2*time.Second, WriteTimeout: 2 * time.Second,
		PoolTimeout: 2 * time.Second, PoolSize: 32})
	if err != nil {
		return nil, fmt.Errorf("redis.url %s: %w", spec, err)
	}
	return rdb, nil
}

// Listener is one HTTP server to run.
type Listener struct {
	Name   string
	Addr   string
	Server *http.Server
	// MaxConns bounds open connections (0 = unbounded); further clients
	// wait in the kernel's accept queue.
	MaxConns int
}

// Serve listens on every listener (failing at once if one cannot bind),
// serves until ctx ends, then shuts them down gracefully within grace:
// in-flight requests finish, new connections are refused.
func Serve(ctx context.Context, log *zap.Logger, grace time.Duration, ls ...Listener) error {
	errc := make(chan error, len(ls))
	for _, l := range ls {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, o := range ls {
				o.Server.Close()
			}
			return fmt.Errorf("%s: listen %s: %w", l.Name, l.Addr, err)
		}
		if l.MaxConns > 0 {
			ln = netutil.LimitListener(ln, l.MaxConns)
		}
		log.Info("listening", zap.String("listener", l.Name), zap.String("addr", ln.Addr().String()))
		go func(l Listener) {
			if err := l.Server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", l.Name, err)
			}
		}(l)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, l := range ls {
		l.Server.Shutdown(sctx)
	}
	return err
}

// AdminServer wraps an admin handler with timeouts.
func AdminServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
}

// Tracing returns the configured tracer (nil when tracing is off) and a
// function flushing it.
func Tracing(ctx context.Context, cfg *config.Config, service string, log *zap.Logger) (*trace.Tracer, func(), error) {
	if cfg.Tracing.Endpoint == "" {
		return nil, func() {}, nil
	}
	t, shutdown, err := trace.Setup(ctx, cfg.Tracing.Endpoint, service, *cfg.Tracing.SampleRatio)
	if err != nil {
		return nil, nil, err
	}
	log.Info("tracing", zap.String("otlp_endpoint", cfg.Tracing.Endpoint), zap.Float64("sample_ratio", *cfg.Tracing.SampleRatio))
	return t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	}, nil
}

// Main is the body of every hookq command's main: it runs run with a
// context that ends on SIGINT or SIGTERM and, when run fails, prints
// "name: error" to stderr and exits 1.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
