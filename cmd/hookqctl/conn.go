package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/ctl"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/sender"
	"github.com/hookq/hookq/internal/webhook"
)

// Every command's connection flags are declared here, so that a flag name
// means one thing everywhere: -config the config file, -redis the Redis URL,
// -ingest ingest's base URL.

// addConfigFlag declares -config; its default is HOOKQ_CONFIG.
func addConfigFlag(fs *flag.FlagSet, e *procEnv, what string) *string {
	return fs.String("config", e.getenv("HOOKQ_CONFIG"), "config file (env HOOKQ_CONFIG)"+what)
}

// deprecatedURL declares -url as the old spelling of -now: it sets target
// and warns on stderr. -url meant the Redis in ping and ingest elsewhere.
func deprecatedURL(fs *flag.FlagSet, e *procEnv, now string, target *string) {
	fs.Func("url", "deprecated: use -"+now, func(v string) error {
		fmt.Fprintf(e.stderr, "hookqctl: -url is deprecated: use -%s\n", now)
		*target = v
		return nil
	})
}

// loadConfig loads the config leniently (config.LoadLenient): every command
// but a signing one works without the provider secrets.
func loadConfig(file string, e *procEnv) (*config.Lenient, error) {
	if file == "" {
		return nil, errors.New("no config: pass -config FILE or set HOOKQ_CONFIG")
	}
	return config.LoadLenient(file, e.getenv)
}

// connFlags are the flags of a command that reads Redis.
type connFlags struct {
	config, redis string
	// where names the Redis open connected to and why that one, for
	// messages about empty results.
	where string
	// shards is the config's queue.shards once open has loaded a config;
	// nil without one (ctl then detects the shards from Redis).
	shards *queue.Shards
}

func addConnFlags(fs *flag.FlagSet, e *procEnv) *connFlags {
	c := &connFlags{}
	fs.StringVar(&c.config, "config", e.getenv("HOOKQ_CONFIG"), "config file (env HOOKQ_CONFIG): Redis URL, sources and routes")
	fs.StringVar(&c.redis, "redis", "", "Redis URL (default: env REDIS_URL, else the config's redis.url)")
	return c
}

// redisURL is -redis, else REDIS_URL, else the config's; origin says which.
// configURL is called only when it is needed.
func (c *connFlags) redisURL(e *procEnv, configURL func() (string, error)) (u, origin string, err error) {
	if c.redis != "" {
		return c.redis, "-redis", nil
	}
	if u = e.getenv("REDIS_URL"); u != "" {
		origin = "REDIS_URL"
		if f := e.getenv(originKey); f != "" {
			origin = "the REDIS_URL `make run` wrote to " + f
		}
		return u, origin, nil
	}
	if c.config != "" {
		if u, err = configURL(); err != nil {
			return "", "", err
		}
		return u, "redis.url of " + c.config, nil
	}
	return "", "", errors.New("no Redis: pass -redis URL or -config FILE, or set REDIS_URL or HOOKQ_CONFIG (or start `make run` from this checkout)")
}

// open connects to Redis; the config, when there is one, also gives the
// sources and routes to look in.
func (c *connFlags) open(e *procEnv) (*ctl.Ctl, func(), error) {
	var topo ctl.Topology
	var cfgURL string
	if c.config != "" {
		var n int
		var err error
		if cfgURL, topo, n, err = loadTopology(c.config, e); err != nil {
			return nil, nil, err
		}
		s := queue.NewShards(n)
		c.shards = &s
	}
	u, origin, err := c.redisURL(e, func() (string, error) { return cfgURL, nil })
	if err != nil {
		return nil, nil, err
	}
	rdb, _, err := app.Redis(u)
	if err != nil {
		return nil, nil, err
	}
	c.where = fmt.Sprintf("Redis %s (%s)", redactURL(u), origin)
	cl := ctl.New(rdb, topo)
	if c.shards != nil {
		cl.WithShards(*c.shards)
	}
	return cl, func() { rdb.Close() }, nil
}

// loadTopology reads the config's Redis URL, its sources (with their dedupe
// windows) and routes and its queue.shards; it needs no secrets.
func loadTopology(file string, e *procEnv) (string, ctl.Topology, int, error) {
	topo := ctl.Topology{Routes: map[string][]string{}, Policies: map[string]webhook.Task{}, Windows: map[string]time.Duration{}}
	cfg, err := loadConfig(file, e)
	if err != nil {
		return "", topo, 0, err
	}
	for _, s := range cfg.Sources {
		topo.Sources = append(topo.Sources, s.Name)
		topo.Windows[s.Name] = s.DedupeTTL
	}
	for _, r := range cfg.Routes {
		topo.Routes[r.Source] = append(topo.Routes[r.Source], r.Name)
		task := r.Task()
		task.Retention = cfg.History.Retention
		topo.Policies[r.Name] = task
	}
	for _, s := range topo.Sources {
		if _, ok := topo.Routes[s]; !ok {
			topo.Routes[s] = nil // known to have no routes: nothing to scan for
		}
	}
	return cfg.Redis.URL, topo, cfg.Queue.Shards, nil
}

// ingestFlags are the flags of a command that sends to ingest.
type ingestFlags struct {
	config, ingest string
}

func addIngestFlags(fs *flag.FlagSet, e *procEnv) *ingestFlags {
	f := &ingestFlags{}
	fs.StringVar(&f.config, "config", e.getenv("HOOKQ_CONFIG"), "config file (env HOOKQ_CONFIG): sources and their secrets")
	fs.StringVar(&f.ingest, "ingest", "", "ingest base URL (default: http:// and the config's ingest.listen)")
	deprecatedURL(fs, e, "ingest", &f.ingest)
	return f
}

// sender loads the config and returns a sender to ingest through client
// (nil: a default one).
func (f *ingestFlags) sender(e *procEnv, client *http.Client) (*sender.Sender, *config.Lenient, error) {
	cfg, err := loadConfig(f.config, e)
	if err != nil {
		return nil, nil, err
	}
	base := f.ingest
	if base == "" {
		base = "http://" + dialAddr(cfg.Ingest.Listen)
	}
	return sender.New(cfg, base, client), cfg, nil
}

// dialAddr turns a listen address into one to connect to: a wildcard host
// becomes loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// redactURL hides a Redis URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
