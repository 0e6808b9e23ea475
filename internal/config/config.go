// Package config loads hookq's YAML configuration: ${VAR} expansion from the
// environment, defaults, and validation whose messages name the key and the
// problem, never a secret's value. The commands (cmd/*, deploy/checkyaml)
// load it, and internal/app turns it into the running parts; the parts below
// app take their own small option types, not a Config.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookq/hookq/internal/loopback"
	"github.com/hookq/hookq/internal/redisconn"
	"github.com/hookq/hookq/internal/verify"
)

// Config is the whole file. Zero values mean the documented defaults, which
// Load fills in.
type Config struct {
	Redis     Redis     `yaml:"redis"`
	Queue     Queue     `yaml:"queue"`
	Ingest    Ingest    `yaml:"ingest"`
	Worker    Worker    `yaml:"worker"`
	Dashboard Dashboard `yaml:"dashboard"`
	Dedupe    Dedupe    `yaml:"dedupe"`
	Sources   []Source  `yaml:"sources"`
	Routes    []Route   `yaml:"routes"`
	Log       Log       `yaml:"log"`
	Tracing   Tracing   `yaml:"tracing"`
	History   History   `yaml:"history"`
}

// History keeps succeeded tasks, with each forward's outcome, for lookup in
// the dashboard's Completed tab and hookqctl inspect.
type History struct {
	// Retention is how long a succeeded task is kept; 0 (default) keeps
	// none. Each kept event costs Redis about its body size plus ~0.5 KiB.
	Retention time.Duration `yaml:"retention"`
}

// Tracing exports OpenTelemetry spans over OTLP/HTTP; off when Endpoint is empty.
type Tracing struct {
	Endpoint    string   `yaml:"otlp_endpoint"` // e.g. http://127.0.0.1:4318
	SampleRatio *float64 `yaml:"sample_ratio"`  // share of new traces sampled, 0..1; default 1 (0 samples none)
}

// Redis is how every process reaches Redis, and how sure ingest is of a
// write before it answers.
type Redis struct {
	// URL: redis://, rediss://, redis-sentinel://[:pw@]h:p[,h:p…][/db]?master=NAME
	// or redis-cluster://; default redis://127.0.0.1:6379/0; env REDIS_URL overrides.
	URL string `yaml:"url"`
	// AckReplicas > 0: ingest answers only once that many replicas hold the
	// event (WAIT after the script), else 503. Default 0.
	AckReplicas int           `yaml:"ack_replicas"`
	AckTimeout  time.Duration `yaml:"ack_timeout"` // default 1s; below ingest.redis_timeout
}

// Ingest configures the public webhook listener and its admin listener
// (health, metrics, dashboard).
type Ingest struct {
	Listen       string `yaml:"listen"`         // default ":8080"
	AdminListen  string `yaml:"admin_listen"`   // default "127.0.0.1:9090"
	MaxBodyBytes int64  `yaml:"max_body_bytes"` // default 1 MiB
	// RedisTimeout bounds one dedupe+enqueue; past it the request gets 503.
	RedisTimeout time.Duration `yaml:"redis_timeout"` // default 2s
	// MaxConnections bounds open connections on the public listener;
	// further clients wait in the accept queue. Default 1024.
	MaxConnections int `yaml:"max_connections"`
	// MaxConcurrentReads bounds request bodies read at once; past it a
	// request gets 503 + Retry-After. Default 64.
	MaxConcurrentReads int `yaml:"max_concurrent_reads"`
	// MaxInFlight bounds requests past their body read (verify, extract,
	// dedupe+enqueue) at once; past it a request gets 503 + Retry-After
	// at once instead of queueing. 0: ingest's default, 128.
	MaxInFlight int   `yaml:"max_in_flight"`
	Spool       Spool `yaml:"spool"`
	// Pprof serves net/http/pprof under /debug/pprof/ on admin_listen.
	Pprof bool `yaml:"pprof"` // default false
}

// Spool is ingest's durable local spool: off unless Dir is set.
type Spool struct {
	Dir      string `yaml:"dir"`       // one per replica, on a persistent disk; empty: no spool
	MaxBytes int64  `yaml:"max_bytes"` // default 1 GiB; past it webhooks get 503
}

// Worker configures the processes that run routes' handlers on Asynq.
type Worker struct {
	AdminListen     string        `yaml:"admin_listen"`     // default "127.0.0.1:9091"
	Concurrency     int           `yaml:"concurrency"`      // default 20
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // default 25s
	// DeadLetterMaxBytes bounds the dead-letter stream (a copy of every
	// dead letter) by bytes; past it the oldest copies are trimmed, each
	// logged and counted. Default 256 MiB; at least 1 MiB.
	DeadLetterMaxBytes int64 `yaml:"dead_letter_max_bytes"`
	// Fetchers is how many Asynq servers the process runs, sharing
	// Concurrency. One Asynq server fetches one task per Redis round trip in
	// a single loop, which caps a process below what its handlers could do;
	// eight loops drained fastest on 2 cores (README, Performance).
	Fetchers int `yaml:"fetchers"` // default 8 (at most concurrency)
	// PollInterval is how often an idle fetcher asks Redis for work: the
	// pickup delay of the first task after a quiet spell. The default grows
	// with Fetchers so that an idle process polls about 100 times a second
	// however many it runs, and the first of them (their sleeps are
	// jittered) picks a new task up as soon.
	PollInterval time.Duration `yaml:"poll_interval"` // default 10ms x fetchers
	// Pprof serves net/http/pprof under /debug/pprof/ on admin_listen.
	Pprof bool `yaml:"pprof"` // default false
}

// Dashboard configures the Asynqmon UI that ingest serves on its admin
// listener, behind basic auth.
type Dashboard struct {
	Path     string        `yaml:"path"` // default /monitoring/
	Username string        `yaml:"username"`
	Password verify.Secret `yaml:"password"`
	ReadOnly bool          `yaml:"read_only"`
	Disabled bool          `yaml:"disabled"`
	// Redact lists body paths shown as REDACTED in task payloads
	// (dot-separated; numeric segments index arrays; * matches any key).
	Redact []string `yaml:"redact"`
	// PrometheusURL, when set, lets the dashboard draw its queue charts
	// from that Prometheus (which scrapes ingest's /metrics).
	PrometheusURL string `yaml:"prometheus_url"`
}

// Dedupe is how long an accepted event's id is remembered, so a provider's
// redelivery is answered "duplicate" and not enqueued again.
type Dedupe struct {
	TTL time.Duration `yaml:"ttl"` // default 72h
}

// Log configures the processes' structured logs.
type Log struct {
	Level string `yaml:"level"` // debug | info (default) | warn | error
	// Format is json, console, or auto (default): console when stderr is
	// a terminal. Env HOOKQ_LOG_FORMAT overrides it.
	Format string `yaml:"format"`
	// SampleFirst is how many info and debug lines with the same message
	// each process writes per second before it keeps 1 in 100 (default
	// 100; negative: keep every line). Warnings and errors are never sampled.
	SampleFirst int `yaml:"sample_first"`
	// FlushInterval buffers info and debug lines and writes them at least
	// this often, in one write (default 10ms; 0: a write per line).
	// Warnings and errors are written at once; the buffer is flushed on
	// shutdown and before a fatal exit.
	FlushInterval *time.Duration `yaml:"flush_interval"`
}

// Source is one provider sending to /webhooks/{name}: how its requests are
// verified and where its event id and type are read.
type Source struct {
	Name      string        `yaml:"name"`
	Verifier  Verifier      `yaml:"verifier"`
	EventID   Field         `yaml:"event_id"`
	EventType Field         `yaml:"event_type"`
	DedupeTTL time.Duration `yaml:"dedupe_ttl"` // default dedupe.ttl
	// BodyFormat is how this source's bodies are read: json or form
	// (application/x-www-form-urlencoded). Default: the verifier type's
	// (form for twilio, json for the rest). The request's Content-Type
	// never decides it.
	BodyFormat string     `yaml:"body_format"`
	Reconcile  *Reconcile `yaml:"reconcile"` // stripe, github: go back to the provider's history; nil = off
}

// Spec is the source's verifier spec, body format included.
func (s Source) Spec() verify.Spec {
	spec := s.Verifier.Spec()
	spec.BodyFormat = s.BodyFormat
	return spec
}

// Reconcile lists a provider's event history and enqueues, through dedupe,
// what hookq never acknowledged (stripe: api_key; github: token, repo or
// org, hook_id).
type Reconcile struct {
	APIKey   verify.Secret `yaml:"api_key"`  // stripe: a key that can read events
	Token    verify.Secret `yaml:"token"`    // github: a token that can read and redeliver the hook's deliveries
	Repo     string        `yaml:"repo"`     // github: owner/name of a repository hook, or
	Org      string        `yaml:"org"`      // github: an organisation hook
	HookID   int64         `yaml:"hook_id"`  // github
	Interval time.Duration `yaml:"interval"` // workers run it this often; 0 = only hookqctl reconcile
	Since    time.Duration `yaml:"since"`    // lookback before a watermark exists; default 24h
	APIURL   string        `yaml:"api_url"`  // default the provider's own
}

// Verifier names a verifier type and its settings; internal/verify
// documents which fields each type reads.
type Verifier struct {
	Type            string          `yaml:"type"`
	Secrets         []verify.Secret `yaml:"secrets"`
	Tolerance       time.Duration   `yaml:"tolerance"`
	URL             string          `yaml:"url"`
	Header          string          `yaml:"header"`
	Prefix          string          `yaml:"prefix"`
	Algorithm       string          `yaml:"algorithm"`
	Encoding        string          `yaml:"encoding"`
	TimestampHeader string          `yaml:"timestamp_header"`
	SignedPayload   string          `yaml:"signed_payload"`
	IDHeader        string          `yaml:"id_header"`
	VerifyToken     verify.Secret   `yaml:"verify_token"` // meta, whatsapp: the token their GET handshake carries
}

// Spec converts to the verifier's own Spec.
func (v Verifier) Spec() verify.Spec {
	return verify.Spec{Type: v.Type, Secrets: v.Secrets, Tolerance: v.Tolerance, URL: v.URL,
		Header: v.Header, Prefix: v.Prefix, Algorithm: v.Algorithm, Encoding: v.Encoding,
		TimestampHeader: v.TimestampHeader, SignedPayload: v.SignedPayload, IDHeader: v.IDHeader,
		VerifyToken: v.VerifyToken}
}

// Field says where a value is read: a request header, or a JSON path in
// the body (form bodies: a field name).
type Field struct {
	Header string `yaml:"header"`
	JSON   string `yaml:"json"`
}

// Route sends a source's events whose type matches Events to one handler
// (a business handler or "forward" to URL), as one Asynq task each, with
// its own retry policy (task.go: deadline, retries, defaults).
type Route struct {
	Name        string        `yaml:"name"`
	Source      string        `yaml:"source"`
	Events      []string      `yaml:"events"` // globs on event type; empty = all
	Handler     string        `yaml:"handler"`
	URL         string        `yaml:"url"`
	Timeout     time.Duration `yaml:"timeout"`     // default 10s
	MaxRetries  *int          `yaml:"max_retries"` // default 8
	Backoff     Backoff       `yaml:"backoff"`
	PassHeaders []string      `yaml:"pass_headers"`
	// MaxInFlight bounds the route's handlers running at once across every
	// worker process (a Redis lease semaphore); a task that finds the route
	// full waits outside the worker's slots. 0 (default): no bound.
	MaxInFlight int `yaml:"max_in_flight"`
}

// Backoff is a route's retry delay: exponential from Base, capped at Max,
// with jitter (worker.Backoff).
type Backoff struct {
	Base time.Duration `yaml:"base"` // default 5s
	Max  time.Duration `yaml:"max"`  // default 1h
}

// Load reads, expands, decodes, defaults and validates the file at path.
// getenv is os.Getenv in production; tests pass their own.
func Load(file string, getenv func(string) string) (*Config, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw, getenv)
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse is Load on bytes.
func Parse(raw []byte, getenv func(string) string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// Expand ${VAR} inside scalar values only, so a variable's value can
	// never change the document's structure.
	var missing []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
			n.Value = varRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
				name := ref[2 : len(ref)-1]
				v := getenv(name)
				if v == "" {
					missing = append(missing, fmt.Sprintf("line %d: ${%s} is not set", n.Line, name))
				}
				return v
			})
			if n.Tag == "" || n.Tag == "!!null" {
				n.Tag = "!!str"
			}
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				continue // a key: never expanded
			}
			walk(c)
		}
	}
	walk(&doc)
	if len(missing) > 0 {
		return nil, fmt.Errorf("config: environment variables: %s", strings.Join(missing, "; "))
	}
	// Re-encode the expanded tree so the strict decoder can refuse unknown
	// keys: a misspelt key must not silently become a default.
	expanded, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", hideValues(err))
	}
	if u := getenv("REDIS_URL"); u != "" {
		c.Redis.URL = u
	}
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// hideValues rewrites the decoder's type errors without the offending
// value: after expansion it may be a secret (secrets: "${KEY}" instead of a
// list), and the decoder quotes the first characters of what it could not
// convert. The line and the wanted type stay.
func hideValues(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New("the file could not be decoded")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if j := strings.Index(m, "cannot unmarshal "); j >= 0 {
			if k := strings.LastIndex(m, " into "); k > j {
				tag, _, _ := strings.Cut(m[j+len("cannot unmarshal "):], " ")
				m = m[:j] + "cannot unmarshal " + tag + " (value not shown) into " + m[k+len(" into "):]
			} else {
				m = m[:j] + "value of the wrong type (not shown)"
			}
		}
		msgs[i] = m
	}
	return fmt.Errorf("yaml: %s", strings.Join(msgs, "; "))
}

func (c *Config) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	defD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Redis.URL, "redis://127.0.0.1:6379/0")
	defD(&c.Redis.AckTimeout, time.Second)
	def(&c.Ingest.Listen, ":8080")
	def(&c.Ingest.AdminListen, "127.0.0.1:9090")
	if c.Ingest.MaxBodyBytes == 0 {
		c.Ingest.MaxBodyBytes = 1 << 20
	}
	defD(&c.Ingest.RedisTimeout, 2*time.Second)
	if c.Ingest.Spool.Dir != "" && c.Ingest.Spool.MaxBytes == 0 {
		c.Ingest.Spool.MaxBytes = 1 << 30
	}
	if c.Ingest.MaxConnections == 0 {
		c.Ingest.MaxConnections = 1024
	}
	if c.Ingest.MaxConcurrentReads == 0 {
		c.Ingest.MaxConcurrentReads = 64
	}
	def(&c.Worker.AdminListen, "127.0.0.1:9091")
	if c.Worker.Concurrency == 0 {
		c.Worker.Concurrency = 20
	}
	defD(&c.Worker.ShutdownTimeout, 25*time.Second)
	if c.Worker.DeadLetterMaxBytes == 0 {
		c.Worker.DeadLetterMaxBytes = 256 << 20
	}
	if c.Worker.Fetchers == 0 {
		c.Worker.Fetchers = max(1, min(8, c.Worker.Concurrency))
	}
	defD(&c.Worker.PollInterval, time.Duration(c.Worker.Fetchers)*10*time.Millisecond)
	def(&c.Dashboard.Path, "/monitoring/")
	def(&c.Dashboard.Username, "ops")
	defD(&c.Dedupe.TTL, 72*time.Hour)
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "auto")
	if c.Log.SampleFirst == 0 {
		c.Log.SampleFirst = 100
	}
	if c.Log.FlushInterval == nil {
		d := 10 * time.Millisecond
		c.Log.FlushInterval = &d
	}
	if c.Tracing.SampleRatio == nil {
		one := 1.0
		c.Tracing.SampleRatio = &one
	}
	for i := range c.Sources {
		defD(&c.Sources[i].DedupeTTL, c.Dedupe.TTL)
		if r := c.Sources[i].Reconcile; r != nil {
			defD(&r.Since, 24*time.Hour)
		}
	}
	for i := range c.Routes {
		c.Routes[i].defaults()
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (c *Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := redisconn.Parse(c.Redis.URL); err != nil {
		bad("redis.url", "%v", err)
	}
	if c.Queue.Shards < 0 || c.Queue.Shards > 64 {
		bad("queue.shards", "must be between 1 and 64")
	}
	if c.Redis.AckReplicas < 0 || c.Redis.AckReplicas > 16 {
		bad("redis.ack_replicas", "must be between 0 and 16")
	}
	if c.Redis.AckTimeout < 10*time.Millisecond || (c.Redis.AckReplicas > 0 && c.Redis.AckTimeout >= c.Ingest.RedisTimeout) {
		bad("redis.ack_timeout", "must be at least 10ms and below ingest.redis_timeout (the script runs within that bound too)")
	}
	for key, addr := range map[string]string{"ingest.listen": c.Ingest.Listen, "ingest.admin_listen": c.Ingest.AdminListen, "worker.admin_listen": c.Worker.AdminListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not host:port", addr)
		}
	}
	if c.Ingest.MaxBodyBytes < 0 {
		bad("ingest.max_body_bytes", "must be positive")
	}
	if c.Ingest.RedisTimeout < 10*time.Millisecond || c.Ingest.RedisTimeout > 4*time.Second {
		bad("ingest.redis_timeout", "must be between 10ms and 4s (every request is answered within 5s)")
	}
	if c.Ingest.MaxConnections < 0 {
		bad("ingest.max_connections", "must be positive")
	}
	if c.Ingest.MaxConcurrentReads < 0 || c.Ingest.MaxConcurrentReads > c.Ingest.MaxConnections {
		bad("ingest.max_concurrent_reads", "must be between 1 and ingest.max_connections")
	}
	switch sp := c.Ingest.Spool; {
	case sp.Dir == "" && sp.MaxBytes != 0:
		bad("ingest.spool.max_bytes", "set ingest.spool.dir too, or the spool stays off")
	case sp.Dir != "" && sp.MaxBytes < 1<<20:
		bad("ingest.spool.max_bytes", "must be at least 1048576 (1 MiB)")
	case sp.Dir != "" && sp.MaxBytes < 2*c.Ingest.MaxBodyBytes:
		bad("ingest.spool.max_bytes", "must hold at least two bodies of ingest.max_body_bytes")
	}
	if c.Worker.Concurrency < 0 {
		bad("worker.concurrency", "must be positive")
	}
	if c.Worker.DeadLetterMaxBytes < 1<<20 {
		bad("worker.dead_letter_max_bytes", "must be at least 1048576 (1 MiB)")
	}
	if c.Worker.Fetchers < 1 || c.Worker.Fetchers > 16 || c.Worker.Fetchers > max(1, c.Worker.Concurrency) {
		bad("worker.fetchers", "must be between 1 and 16 and at most worker.concurrency")
	}
	if c.Worker.PollInterval < time.Millisecond || c.Worker.PollInterval > 5*time.Second {
		bad("worker.poll_interval", "must be between 1ms and 5s")
	}
	if !strings.HasPrefix(c.Dashboard.Path, "/") || !strings.HasSuffix(c.Dashboard.Path, "/") || c.Dashboard.Path == "/" {
		bad("dashboard.path", "must start and end with / and not be / itself")
	}
	if c.Dedupe.TTL < time.Minute {
		bad("dedupe.ttl", "must be at least 1m")
	}
	if d := *c.Log.FlushInterval; d < 0 || d > time.Second {
		bad("log.flush_interval", "must be between 0 (unbuffered) and 1s")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error")
	}
	switch c.Log.Format {
	case "auto", "json", "console":
	default:
		bad("log.format", "want auto, json or console")
	}
	if c.Tracing.Endpoint != "" && !strings.HasPrefix(c.Tracing.Endpoint, "http://") && !strings.HasPrefix(c.Tracing.Endpoint, "https://") {
		bad("tracing.otlp_endpoint", "must be an http:// or https:// URL")
	}
	if c.History.Retention < 0 || c.History.Retention > 7*24*time.Hour {
		bad("history.retention", "must be between 0 (off) and 168h")
	}
	if r := *c.Tracing.SampleRatio; !(r >= 0 && r <= 1) {
		bad("tracing.sample_ratio", "must be between 0 and 1")
	}
	if len(c.Sources) == 0 {
		bad("sources", "at least one source is required")
	}
	// uniqueName checks a source or route name and records it in seen.
	uniqueName := func(key, name string, seen map[string]bool) {
		if !nameRE.MatchString(name) {
			bad(key+".name", "%q: want lowercase letters, digits, - and _", name)
		}
		if seen[name] {
			bad(key+".name", "%q is defined twice", name)
		}
		seen[name] = true
	}
	sources := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		uniqueName(key, s.Name, sources)
		if s.Verifier.Type == "" {
			bad(key+".verifier.type", "is required (one of %v)", verify.Types())
		} else if _, err := verify.New(s.Spec()); err != nil {
			bad(key+".verifier", "%v", err)
		}
		for _, f := range []struct {
			k string
			f Field
		}{{"event_id", s.EventID}, {"event_type", s.EventType}} {
			if f.f.Header != "" && f.f.JSON != "" {
				bad(key+"."+f.k, "set header or json, not both")
			}
		}
		if s.DedupeTTL < time.Minute {
			bad(key+".dedupe_ttl", "must be at least 1m")
		}
		if s.Reconcile != nil {
			s.validateReconcile(key+".reconcile", bad)
		}
	}
	routes := map[string]bool{}
	for i, r := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		uniqueName(key, r.Name, routes)
		if !sources[r.Source] {
			bad(key+".source", "%q is not a configured source", r.Source)
		}
		for _, g := range r.Events {
			if g == "" || strings.ContainsAny(g, `[]\`) {
				bad(key+".events", "%q: globs use * and ? only (other characters are literal; [, ] and \\ are refused)", g)
			}
		}
		if r.Handler == "" {
			bad(key+".handler", "is required (forward, log, or a registered handler)")
		}
		if r.Handler == "forward" && !strings.HasPrefix(r.URL, "http://") && !strings.HasPrefix(r.URL, "https://") {
			bad(key+".url", "forward needs an http:// or https:// url")
		}
		r.validateTask(key, bad)
	}
	return errors.Join(errs...)
}

// validateReconcile checks a source's reconcile block. Reconciliation only
// matches what ingest recorded when ids and types come from where the
// provider puts them.
func (s *Source) validateReconcile(key string, bad func(key, format string, args ...any)) {
	r := s.Reconcile
	defID, defType := Field{JSON: "id"}, Field{JSON: "type"}
	switch s.Verifier.Type {
	case "stripe":
		if r.APIKey == "" {
			bad(key+".api_key", "is required for stripe")
		}
	case "github":
		defID, defType = Field{Header: "X-GitHub-Delivery"}, Field{Header: "X-GitHub-Event"}
		if r.Token == "" {
			bad(key+".token", "is required for github")
		}
		if (r.Repo == "") == (r.Org == "") {
			bad(key, "github: set repo (owner/name) or org")
		} else if o, n, ok := strings.Cut(r.Repo, "/"); r.Repo != "" && (!ok || o == "" || n == "" || strings.Contains(n, "/")) {
			bad(key+".repo", "%q: want owner/name", r.Repo)
		}
		if r.HookID <= 0 {
			bad(key+".hook_id", "is required for github")
		}
	default:
		bad(key, "reconciliation supports verifier types stripe and github, not %q", s.Verifier.Type)
		return
	}
	if (s.EventID != Field{} && s.EventID != defID) || (s.EventType != Field{} && s.EventType != defType) {
		bad(key, "needs the provider's own event_id and event_type, or dedupe could not match what ingest recorded")
	}
	if r.Interval != 0 && r.Interval < time.Minute {
		bad(key+".interval", "must be 0 (off) or at least 1m")
	}
	if r.Since <= 0 || r.Since > s.DedupeTTL-5*time.Minute {
		bad(key+".since", "must be positive and at least 5m shorter than dedupe_ttl (%s): older events may have lost their dedupe marks", s.DedupeTTL)
	}
	if r.APIURL != "" && !strings.HasPrefix(r.APIURL, "http://") && !strings.HasPrefix(r.APIURL, "https://") {
		bad(key+".api_url", "must be an http:// or https:// URL")
	}
}

// AdminIsLoopback reports whether addr, a listen address (host:port),
// listens on loopback only.
func AdminIsLoopback(addr string) bool {
	_, _, err := net.SplitHostPort(addr)
	return err == nil && loopback.Host(addr)
}

// Queue shapes the Asynq queues webhook tasks go to.
type Queue struct {
	// Shards > 1 spreads events over that many queues (one Redis Cluster
	// slot each, placed on different masters); every process of a
	// deployment must use the same value. Default 1: the queue "webhooks".
	Shards int `yaml:"shards"`
}
