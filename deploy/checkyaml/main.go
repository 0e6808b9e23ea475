// Command checkyaml statically checks hookq's deployment files; deploy/check.sh
// runs it. It needs nothing but Go and the module's YAML parser.
//
//	go run ./deploy/checkyaml -yaml a.yml,b.yml -json d.json \
//	    -hookq deploy/hookq.compose.yaml -compose docker-compose.yml \
//	    -promql deploy/prometheus/alerts.yml,deploy/grafana/hookq-dashboard.json
//
// -yaml, -json: every file parses (YAML: no duplicate keys either).
// -hookq: the config loads with hookq's own loader (internal/config), every
// referenced variable set to a placeholder.
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
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookq/hookq/internal/config"
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
		check("hookq config loads with internal/config: "+*hookq, err)
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

// checkHookq loads the config with hookq's own loader (every referenced
// variable set to a placeholder) and returns the variables it references.
// A dashboard on a non-loopback admin listener must have a password, or it
// would silently not be served.
func checkHookq(file string) ([]string, error) {
	seen := map[string]bool{}
	var vars []string
	cfg, err := config.Load(file, func(k string) string {
		if k == "REDIS_URL" {
			return ""
		}
		if !seen[k] {
			seen[k] = true
			vars = append(vars, k)
		}
		// Valid as an HMAC secret and as a Standard Webhooks whsec_ key.
		return "whsec_cGxhY2Vob2xkZXItc2VjcmV0LXBsYWNlaG9sZGVy"
	})
	sort.Strings(vars)
	if err != nil {
		return vars, err
	}
	if !config.AdminIsLoopback(cfg.Ingest.AdminListen) && cfg.Dashboard.Password == "" && !cfg.Dashboard.Disabled {
		return vars, fmt.Errorf("dashboard.password: needed, ingest.admin_listen %q is not loopback-only (the dashboard would not be served)", cfg.Ingest.AdminListen)
	}
	return vars, nil
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
	"hookq_dead_letter_stream_entries",
	"hookq_dead_letter_stream_bytes",
	"hookq_dead_letter_stream_max_entries",
	"hookq_dead_letter_stream_max_bytes",
	"hookq_dead_letter_stream_scrape_ok",
	"hookq_queue_tasks",
	"hookq_queue_latency_seconds",
	"hookq_queue_scrape_ok",
	"asynq_queue_size",
	"asynq_queue_latency_seconds",
	"asynq_queue_memory_usage_approx_bytes",
	"asynq_tasks_processed_total",
	"asynq_tasks_failed_total",
	"asynq_queue_paused_total",
	// ingest with a spool
	"hookq_spool_records",
	"hookq_spool_bytes",
	"hookq_spool_max_bytes",
	"hookq_spool_oldest_record_age_seconds",
	"hookq_spool_appended_total",
	"hookq_spool_refused_total",
	"hookq_spool_drained_total",
	// worker
	"hookq_worker_tasks_processed_total",
	"hookq_worker_tasks_failed_total",
	"hookq_worker_tasks_retried_total",
	"hookq_worker_tasks_dead_lettered_total",
	"hookq_worker_handler_duration_seconds",
	"hookq_archive_trimmed_total",
	"hookq_dead_letter_stream_trimmed_total",
	"hookq_reconcile_events_total",
	"hookq_reconcile_last_success_timestamp_seconds",
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
