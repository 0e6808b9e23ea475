// Command checkyaml statically checks hookq's deployment files; deploy/check.sh
// runs it. It needs nothing but Go and the module's YAML parser.
//
//	go run ./deploy/checkyaml -yaml a.yml,b.yml -json d.json \
//	    -hookq deploy/hookq.compose.yaml -compose docker-compose.yml \
//	    -promql deploy/prometheus/alerts.yml,deploy/grafana/hookq-dashboard.json
//
// -yaml, -json: every file parses (YAML: no duplicate keys either).
// -hookq: the config has only the keys of INTERFACE.md's format, its routes
// name configured sources, and so on (the same rules as internal/config, kept
// loose where the format leaves room). With -tags hookqconfig the file is also
// loaded by internal/config itself.
// -compose: the compose file fits hookq (scalable worker, admin port on the
// host's loopback only, every ${VAR} of the hookq config passed to both
// programs, mounted files present).
// -promql: every hookq_/asynq_ metric named in alerts and dashboards is one
// the programs export.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "checkyaml:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("checkyaml", flag.ContinueOnError)
	yamlFiles := fs.String("yaml", "", "comma-separated YAML files that must parse")
	jsonFiles := fs.String("json", "", "comma-separated JSON files that must parse")
	hookq := fs.String("hookq", "", "hookq config file to check against the config format")
	compose := fs.String("compose", "", "docker-compose file to check (needs -hookq)")
	promql := fs.String("promql", "", "comma-separated alert rule (YAML) and dashboard (JSON) files whose metric names to check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	check := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			fmt.Printf("  FAIL %s\n", what)
			return
		}
		fmt.Printf("  ok   %s\n", what)
	}
	for _, f := range split(*yamlFiles) {
		check("yaml parses: "+f, parseYAML(f))
	}
	for _, f := range split(*jsonFiles) {
		check("json parses: "+f, parseJSON(f))
	}
	var vars []string
	if *hookq != "" {
		var err error
		vars, err = checkHookq(*hookq)
		check("hookq config matches the config format: "+*hookq, err)
		if validateWithConfigPackage != nil {
			check("hookq config loads with internal/config: "+*hookq, validateWithConfigPackage(*hookq, vars))
		}
	}
	if *compose != "" {
		check("compose file fits hookq: "+*compose, checkCompose(*compose, vars))
	}
	if *promql != "" {
		for _, f := range split(*promql) {
			check("metric names exported by hookq: "+f, checkMetricNames(f))
		}
	}
	return errors.Join(errs...)
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseYAML(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for n := 0; ; n++ {
		var v any // decoding into a map reports duplicate keys
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				return nil
			}
			return err
		}
	}
}

func parseJSON(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var v any
	return json.Unmarshal(raw, &v)
}

// The config format of INTERFACE.md, decoded with unknown keys refused.
type hookqConfig struct {
	Redis struct {
		URL string `yaml:"url"`
	} `yaml:"redis"`
	Ingest struct {
		Listen       string `yaml:"listen"`
		AdminListen  string `yaml:"admin_listen"`
		MaxBodyBytes int64  `yaml:"max_body_bytes"`
		RedisTimeout string `yaml:"redis_timeout"`
	} `yaml:"ingest"`
	Worker struct {
		AdminListen     string `yaml:"admin_listen"`
		Concurrency     int    `yaml:"concurrency"`
		ShutdownTimeout string `yaml:"shutdown_timeout"`
	} `yaml:"worker"`
	Dashboard struct {
		Path     string `yaml:"path"`
		Username string `yaml:"username"`
		Password string `yaml:"password"`
		ReadOnly bool   `yaml:"read_only"`
		Disabled bool   `yaml:"disabled"`
	} `yaml:"dashboard"`
	Dedupe struct {
		TTL string `yaml:"ttl"`
	} `yaml:"dedupe"`
	Log struct {
		Level string `yaml:"level"`
	} `yaml:"log"`
	Sources []struct {
		Name     string `yaml:"name"`
		Verifier struct {
			Type            string   `yaml:"type"`
			Secrets         []string `yaml:"secrets"`
			Tolerance       string   `yaml:"tolerance"`
			URL             string   `yaml:"url"`
			Header          string   `yaml:"header"`
			Prefix          string   `yaml:"prefix"`
			Algorithm       string   `yaml:"algorithm"`
			Encoding        string   `yaml:"encoding"`
			TimestampHeader string   `yaml:"timestamp_header"`
			SignedPayload   string   `yaml:"signed_payload"`
			IDHeader        string   `yaml:"id_header"`
		} `yaml:"verifier"`
		EventID   field  `yaml:"event_id"`
		EventType field  `yaml:"event_type"`
		DedupeTTL string `yaml:"dedupe_ttl"`
	} `yaml:"sources"`
	Routes []struct {
		Name       string   `yaml:"name"`
		Source     string   `yaml:"source"`
		Events     []string `yaml:"events"`
		Handler    string   `yaml:"handler"`
		URL        string   `yaml:"url"`
		Timeout    string   `yaml:"timeout"`
		MaxRetries *int     `yaml:"max_retries"`
		Backoff    struct {
			Base string `yaml:"base"`
			Max  string `yaml:"max"`
		} `yaml:"backoff"`
		PassHeaders []string `yaml:"pass_headers"`
	} `yaml:"routes"`
}

type field struct {
	Header string `yaml:"header"`
	JSON   string `yaml:"json"`
}

var (
	varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// checkHookq returns the environment variables the config references.
func checkHookq(file string) ([]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var c hookqConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	// Variables referenced in values (not in comments), as hookq expands them.
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var vars []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			for _, m := range varRef.FindAllStringSubmatch(n.Value, -1) {
				if !slices.Contains(vars, m[1]) {
					vars = append(vars, m[1])
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	sort.Strings(vars)

	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	dur := func(key, v string) {
		if v == "" {
			return
		}
		if _, err := time.ParseDuration(v); err != nil {
			bad("%s: %q is not a duration", key, v)
		}
	}
	if u := c.Redis.URL; u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		bad("redis.url: must start with redis:// or rediss://")
	}
	for key, addr := range map[string]string{"ingest.listen": c.Ingest.Listen, "ingest.admin_listen": c.Ingest.AdminListen, "worker.admin_listen": c.Worker.AdminListen} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s: %q is not host:port", key, addr)
		}
	}
	if c.Ingest.AdminListen != "" && !isLoopback(c.Ingest.AdminListen) && c.Dashboard.Password == "" && !c.Dashboard.Disabled {
		bad("dashboard.password: needed, ingest.admin_listen %q is not loopback-only (the dashboard would not be served)", c.Ingest.AdminListen)
	}
	dur("ingest.redis_timeout", c.Ingest.RedisTimeout)
	dur("worker.shutdown_timeout", c.Worker.ShutdownTimeout)
	dur("dedupe.ttl", c.Dedupe.TTL)
	if p := c.Dashboard.Path; p != "" && (!strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || p == "/") {
		bad("dashboard.path: must start and end with / and not be / itself")
	}
	if len(c.Sources) == 0 {
		bad("sources: at least one source is required")
	}
	sources := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		if !nameRE.MatchString(s.Name) {
			bad("%s.name: %q: want lowercase letters, digits, - and _", key, s.Name)
		}
		if sources[s.Name] {
			bad("%s.name: %q is defined twice", key, s.Name)
		}
		sources[s.Name] = true
		if s.Verifier.Type == "" {
			bad("%s.verifier.type: is required", key)
		}
		if len(s.Verifier.Secrets) == 0 {
			bad("%s.verifier.secrets: at least one is required", key)
		}
		for _, sec := range s.Verifier.Secrets {
			if !varRef.MatchString(sec) {
				bad("%s.verifier.secrets: write secrets as ${VAR}, not in the file", key)
			}
		}
		if s.Verifier.Type == "hmac" && s.Verifier.Header == "" {
			bad("%s.verifier.header: hmac needs the signature header", key)
		}
		for k, f := range map[string]field{"event_id": s.EventID, "event_type": s.EventType} {
			if f.Header != "" && f.JSON != "" {
				bad("%s.%s: set header or json, not both", key, k)
			}
		}
		dur(key+".verifier.tolerance", s.Verifier.Tolerance)
		dur(key+".dedupe_ttl", s.DedupeTTL)
	}
	if p := c.Dashboard.Password; p != "" && !varRef.MatchString(p) {
		bad("dashboard.password: write it as ${VAR}, not in the file")
	}
	routes := map[string]bool{}
	for i, r := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		if !nameRE.MatchString(r.Name) {
			bad("%s.name: %q: want lowercase letters, digits, - and _", key, r.Name)
		}
		if routes[r.Name] {
			bad("%s.name: %q is defined twice", key, r.Name)
		}
		routes[r.Name] = true
		if !sources[r.Source] {
			bad("%s.source: %q is not a configured source", key, r.Source)
		}
		for _, g := range r.Events {
			if _, err := filepath.Match(g, ""); err != nil {
				bad("%s.events: %q is not a valid glob", key, g)
			}
		}
		switch {
		case r.Handler == "":
			bad("%s.handler: is required", key)
		case r.Handler == "forward" && !strings.HasPrefix(r.URL, "http://") && !strings.HasPrefix(r.URL, "https://"):
			bad("%s.url: forward needs an http:// or https:// url", key)
		case r.Handler != "forward" && r.URL != "":
			bad("%s.url: only forward uses url", key)
		}
		dur(key+".timeout", r.Timeout)
		dur(key+".backoff.base", r.Backoff.Base)
		dur(key+".backoff.max", r.Backoff.Max)
		if r.MaxRetries != nil && (*r.MaxRetries < 0 || *r.MaxRetries > 100) {
			bad("%s.max_retries: must be between 0 and 100", key)
		}
	}
	return vars, errors.Join(errs...)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkCompose checks what `docker compose up --scale worker=N` and the
// hookq config need. vars are the variables the hookq config references.
func checkCompose(file string, vars []string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc struct {
		Services map[string]map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil { // resolves << merge keys
		return err
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, name := range []string{"redis", "ingest", "worker"} {
		if doc.Services[name] == nil {
			bad("services.%s: missing", name)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	worker := doc.Services["worker"]
	for _, k := range []string{"container_name", "ports", "hostname"} {
		if _, ok := worker[k]; ok {
			bad("services.worker.%s: set, so `--scale worker=N` would collide", k)
		}
	}
	for _, p := range list(doc.Services["ingest"]["ports"]) {
		if strings.Contains(p, "9090") && !strings.HasPrefix(p, "127.0.0.1:") {
			bad("services.ingest.ports: %q publishes the admin port (dashboard, metrics) beyond the host's loopback", p)
		}
	}
	for _, svc := range []string{"ingest", "worker"} {
		env, _ := doc.Services[svc]["environment"].(map[string]any)
		for _, v := range vars {
			if _, ok := env[v]; !ok {
				bad("services.%s.environment: %s is not passed, the config needs it", svc, v)
			}
		}
		cmd := list(doc.Services[svc]["command"])
		if len(cmd) == 0 || cmd[0] != svc {
			bad("services.%s.command: want [%q]", svc, svc)
		}
		if _, ok := doc.Services[svc]["stop_grace_period"]; !ok {
			bad("services.%s.stop_grace_period: unset (docker's 10s kills running handlers)", svc)
		}
	}
	redisCmd := strings.Join(list(doc.Services["redis"]["command"]), " ")
	if !strings.Contains(redisCmd, "redis.conf") {
		bad("services.redis.command: does not load deploy/redis.conf")
	}
	if _, ok := doc.Services["redis"]["ports"]; ok {
		bad("services.redis.ports: Redis has no password here; do not publish it")
	}
	// Bind-mounted files must exist (a missing one becomes an empty directory).
	dir := filepath.Dir(file)
	for name, svc := range doc.Services {
		for _, v := range list(svc["volumes"]) {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					bad("services.%s.volumes: %s does not exist", name, src)
				}
			}
		}
		if b, ok := svc["build"].(map[string]any); ok {
			if df, ok := b["dockerfile"].(string); ok {
				ctx, _ := b["context"].(string)
				if _, err := os.Stat(filepath.Join(dir, ctx, df)); err != nil {
					bad("services.%s.build.dockerfile: %s does not exist", name, df)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func list(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
	case string:
		out = strings.Fields(v)
	}
	return out
}

// exported lists the metric families the programs expose (INTERFACE.md and
// the hookq metrics list): histograms by their base name.
var exported = []string{
	// ingest
	"hookq_ingest_requests_total",
	"hookq_ingest_request_duration_seconds",
	"hookq_ingest_body_bytes",
	"hookq_ingest_dedupe_hits_total",
	"hookq_ingest_enqueue_errors_total",
	"hookq_redis_duration_seconds",
	"asynq_queue_size",
	"asynq_queue_latency_seconds",
	"asynq_queue_memory_usage_approx_bytes",
	"asynq_tasks_processed_total",
	"asynq_tasks_failed_total",
	"asynq_queue_paused_total",
	// worker
	"hookq_worker_tasks_processed_total",
	"hookq_worker_tasks_failed_total",
	"hookq_worker_tasks_retried_total",
	"hookq_worker_tasks_dead_lettered_total",
	"hookq_worker_handler_duration_seconds",
	"hookq_archive_trimmed_total",
}

var metricRef = regexp.MustCompile(`\b(?:hookq|asynq)_[a-zA-Z0-9_]+`)

func checkMetricNames(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, m := range metricRef.FindAllString(string(raw), -1) {
		base := m
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(m, suf); ok && slices.Contains(exported, b) {
				base = b
			}
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		if !slices.Contains(exported, base) {
			errs = append(errs, fmt.Errorf("%s is not a metric hookq exports", m))
		}
	}
	if len(seen) == 0 {
		errs = append(errs, errors.New("names no hookq metric at all"))
	}
	return errors.Join(errs...)
}
