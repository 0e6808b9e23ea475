// Package redisconn is the one place a Redis URL becomes a connection:
// redis:// and rediss:// (one node), redis-sentinel:// (a master found and
// followed through Sentinels) and redis-cluster://. Every hookq process,
// the dashboard and hookqctl build their clients here, so they all accept
// the same URLs and report a bad one the same way, never printing its
// password.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Mode is the topology a URL names.
type Mode int

const (
	Single   Mode = iota // redis:// or rediss://
	Sentinel             // redis-sentinel://
	Cluster              // redis-cluster://
)

func (m Mode) String() string {
	return [...]string{"single", "sentinel", "cluster"}[m]
}

// Spec is a parsed Redis URL.
type Spec struct {
	Mode     Mode
	Addrs    []string // host:port of the node (Single), the Sentinels, or the cluster seeds
	Username string
	Password string
	DB       int
	Master   string // Sentinel master set name
	// SentinelPassword authenticates to the Sentinels; it defaults to
	// Password (Sentinels protected like the nodes, as most charts set
	// them up). SentinelNoAuth means the Sentinels take no password.
	SentinelPassword string
	SentinelNoAuth   bool

	single *redis.Options // redis:// and rediss://: go-redis's own parse, with its query options
}

// Parse reads a Redis URL. Its errors never quote the URL or the password.
func Parse(raw string) (Spec, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Spec{}, errors.New("want redis://, rediss://, redis-sentinel:// or redis-cluster://")
	}
	switch scheme {
	case "redis", "rediss":
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return Spec{}, clean(err)
		}
		return Spec{Mode: Single, Addrs: []string{opt.Addr}, Username: opt.Username, Password: opt.Password, DB: opt.DB, single: opt}, nil
	case "redis-sentinel", "redis-cluster":
	default:
		return Spec{}, fmt.Errorf("scheme %q: want redis://, rediss://, redis-sentinel:// or redis-cluster://", scheme)
	}
	u, err := neturl.Parse(raw)
	if err != nil {
		return Spec{}, clean(err)
	}
	s := Spec{Mode: Sentinel}
	if scheme == "redis-cluster" {
		s.Mode = Cluster
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if u.Host == "" {
		return Spec{}, fmt.Errorf("%s://: at least one host:port is required", scheme)
	}
	for _, a := range strings.Split(u.Host, ",") {
		host, port, err := net.SplitHostPort(a)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return Spec{}, fmt.Errorf("%s://: address %q: want host:port", scheme, a)
		}
		s.Addrs = append(s.Addrs, a)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		db, err := strconv.Atoi(p)
		if err != nil || db < 0 {
			return Spec{}, fmt.Errorf("%s://: database %q: want a number", scheme, p)
		}
		if s.Mode == Cluster && db != 0 {
			return Spec{}, errors.New("redis-cluster://: a cluster has database 0 only")
		}
		s.DB = db
	}
	q := u.Query()
	for k := range q {
		if s.Mode == Cluster || (k != "master" && k != "sentinel_password") {
			return Spec{}, fmt.Errorf("%s://: unknown parameter %q", scheme, k)
		}
	}
	if s.Mode == Sentinel {
		s.Master = q.Get("master")
		if s.Master == "" {
			return Spec{}, errors.New("redis-sentinel://: ?master=NAME (the Sentinel master set) is required")
		}
		s.SentinelPassword = s.Password
		if q.Has("sentinel_password") {
			s.SentinelPassword = q.Get("sentinel_password")
			s.SentinelNoAuth = s.SentinelPassword == ""
		}
	}
	return s, nil
}

// String is the URL with its passwords replaced, for logs.
func (s Spec) String() string {
	var b strings.Builder
	switch {
	case s.Mode == Sentinel:
		b.WriteString("redis-sentinel://")
	case s.Mode == Cluster:
		b.WriteString("redis-cluster://")
	case s.single != nil && s.single.TLSConfig != nil:
		b.WriteString("rediss://")
	default:
		b.WriteString("redis://")
	}
	if s.Username != "" || s.Password != "" {
		b.WriteString(neturl.PathEscape(s.Username))
		if s.Password != "" {
			b.WriteString(":REDACTED")
		}
		b.WriteString("@")
	}
	b.WriteString(strings.Join(s.Addrs, ","))
	if s.Mode != Cluster {
		fmt.Fprintf(&b, "/%d", s.DB)
	}
	if s.Mode == Sentinel {
		b.WriteString("?master=" + neturl.QueryEscape(s.Master))
	}
	return b.String()
}

// Tuning bounds every command, so a stalled or failed-over Redis cannot hold
// a caller longer than these.
type Tuning struct {
	DialTimeout, ReadTimeout, WriteTimeout, PoolTimeout time.Duration
	PoolSize                                            int
	MaxRetries                                          int // 0: go-redis's default (3); -1: none
}

// SlotReload is how often a cluster client reloads its slot map. go-redis
// reloads it on MOVED and on some errors, but not on "connection refused"
// from a dead master: without the timer a client would keep dialling the
// dead node after its replica took over.
const SlotReload = time.Second

// Client builds a client for s: a *redis.Client, a Sentinel-backed
// failover *redis.Client, or a *redis.ClusterClient whose slot map is
// reloaded every SlotReload until it is closed. It is returned as the
// concrete type (not wrapped) because Asynqmon tells a cluster by it.
func (s Spec) Client(t Tuning) (redis.UniversalClient, error) {
	switch s.Mode {
	case Single:
		opt := *s.single
		opt.ContextTimeoutEnabled = true
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout, t.PoolTimeout
		opt.PoolSize, opt.MaxRetries = t.PoolSize, t.MaxRetries
		return redis.NewClient(&opt), nil
	case Sentinel:
		opt := &redis.FailoverOptions{
			MasterName: s.Master, SentinelAddrs: s.Addrs,
			Username: s.Username, Password: s.Password, DB: s.DB,
			ContextTimeoutEnabled: true,
			DialTimeout:           t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			PoolTimeout: t.PoolTimeout, PoolSize: t.PoolSize, MaxRetries: t.MaxRetries,
		}
		if !s.SentinelNoAuth {
			opt.SentinelUsername, opt.SentinelPassword = s.Username, s.SentinelPassword
		}
		return redis.NewFailoverClient(opt), nil
	default:
		c := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: s.Addrs, Username: s.Username, Password: s.Password,
			ContextTimeoutEnabled: true,
			DialTimeout:           t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			PoolTimeout: t.PoolTimeout, PoolSize: t.PoolSize, MaxRetries: t.MaxRetries,
		})
		go reloadSlots(c, SlotReload)
		return c, nil
	}
}

// reloadSlots asks c to reload its slot map every period, until c is
// closed. The reload itself runs in go-redis's background (LazyReload,
// coalesced), so a slow node never delays the timer.
func reloadSlots(c *redis.ClusterClient, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for range tick.C {
		if closed(c) {
			return
		}
		c.ReloadState(context.Background())
	}
}

// closed reports whether c was closed: a closed cluster client answers
// with redis.ErrClosed at once; an open one costs a PING a second.
func closed(c *redis.ClusterClient) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	return errors.Is(c.Ping(ctx).Err(), redis.ErrClosed)
}

// AsynqOpt is s as Asynq's connection option, for Asynqmon: each
// MakeRedisClient builds a new client with t, exactly as Client does.
func (s Spec) AsynqOpt(t Tuning) (asynq.RedisConnOpt, error) {
	return connOpt{s, t}, nil
}

type connOpt struct {
	s Spec
	t Tuning
}

func (c connOpt) MakeRedisClient() any {
	rdb, _ := c.s.Client(c.t) // Client fails for no parsed Spec
	return rdb
}

// clean drops the URL a parse error quotes (it may hold the password) and
// the text of an escape error (it may be part of the password).
func clean(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee neturl.EscapeError
	if errors.As(err, &ee) {
		return errors.New("not a valid URL: a bad %-escape")
	}
	if strings.Contains(err.Error(), "://") || strings.Contains(err.Error(), "@") {
		return errors.New("not a valid URL")
	}
	return fmt.Errorf("not a valid URL: %w", err)
}
