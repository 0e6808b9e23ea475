package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const minimal = `
sources:
  - name: stripe
    verifier: { type: stripe, secrets: ["${STRIPE_SECRET}"] }
routes:
  - name: app
    source: stripe
    handler: forward
    url: http://127.0.0.1:9000/x
`

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"STRIPE_SECRET": "whsec_x"}))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Routes[0]
	if c.Redis.URL != "redis://127.0.0.1:6379/0" || c.Ingest.Listen != ":8080" || c.Ingest.AdminListen != "127.0.0.1:9090" ||
		c.Ingest.MaxBodyBytes != 1<<20 || c.Worker.Concurrency != 20 || c.Dashboard.Path != "/monitoring/" ||
		c.Dedupe.TTL != 72*time.Hour || c.Sources[0].DedupeTTL != 72*time.Hour || r.Timeout != 10*time.Second ||
		*r.MaxRetries != 8 || r.Backoff.Base != 5*time.Second || r.Backoff.Max != time.Hour ||
		c.Worker.Fetchers != 8 || c.Worker.PollInterval != 80*time.Millisecond || c.Worker.Pprof || c.Ingest.Pprof {
		t.Fatalf("defaults wrong: %+v", c)
	}
	if c.Ingest.Spool.Dir != "" || c.Ingest.Spool.MaxBytes != 0 {
		t.Fatalf("spool on by default: %+v", c.Ingest.Spool)
	}
	if string(c.Sources[0].Verifier.Secrets[0]) != "whsec_x" {
		t.Fatal("secret not expanded")
	}
}

func TestSpoolDefaultSize(t *testing.T) {
	c, err := Parse([]byte("ingest: {spool: {dir: /var/lib/hookq/spool}}\n"+minimal), env(map[string]string{"STRIPE_SECRET": "x"}))
	if err != nil || c.Ingest.Spool.MaxBytes != 1<<30 {
		t.Fatalf("%+v %v", c.Ingest.Spool, err)
	}
}

func TestRedisURLFromEnv(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"STRIPE_SECRET": "whsec_x", "REDIS_URL": "redis://10.0.0.1:6380/2"}))
	if err != nil || c.Redis.URL != "redis://10.0.0.1:6380/2" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestExampleConfigsLoad(t *testing.T) {
	for _, f := range []string{"../../deploy/hookq.example.yaml", "../../deploy/hookq.compose.yaml"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_, err := Load(f, func(k string) string {
			if k == "REDIS_URL" {
				return ""
			}
			return "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=" // any non-empty value works for every secret
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"UnsetVariable", minimal, []string{"${STRIPE_SECRET} is not set"}},
		{"UnknownVerifier", `
sources: [{name: a, verifier: {type: nope, secrets: [x]}}]`, []string{"sources[0].verifier", "unknown verifier type"}},
		{"NoSecret", `
sources: [{name: a, verifier: {type: github}}]`, []string{"sources[0].verifier", "at least one secret"}},
		{"BadRoute", `
sources: [{name: a, verifier: {type: github, secrets: [topsecretvalue]}}]
routes: [{name: r, source: b, handler: forward, url: ftp://x, max_retries: -1}]`,
			[]string{`routes[0].source: "b" is not a configured source`, "routes[0].url", "routes[0].max_retries"}},
		{"BracketGlob", `
sources: [{name: a, verifier: {type: github, secrets: [x]}}]
routes: [{name: r, source: a, handler: log, events: ["payment_[ab]*"]}]`, []string{"routes[0].events", "* and ? only"}},
		{"DuplicateSource", `
sources: [{name: a, verifier: {type: github, secrets: [x]}}, {name: a, verifier: {type: github, secrets: [x]}}]`, []string{`"a" is defined twice`}},
		{"BadName", `
sources: [{name: "A B", verifier: {type: github, secrets: [x]}}]`, []string{"sources[0].name"}},
		{"BadYAML", "sources: [", []string{"config:"}},
		{"UnknownField", "sorces: []", []string{"sorces"}},
		{"SpoolSizeWithoutDir", `
ingest: {spool: {max_bytes: 100000000}}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"ingest.spool.max_bytes", "ingest.spool.dir"}},
		{"SpoolTooSmall", `
ingest: {spool: {dir: /tmp/s, max_bytes: 1000}}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"ingest.spool.max_bytes", "at least"}},
		{"BadWorkerFetch", `
worker: {concurrency: 4, fetchers: 5, poll_interval: 10s}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"worker.fetchers", "worker.poll_interval"}},
		{"AckTimeoutPastRequestBound", `
redis: {ack_replicas: 1, ack_timeout: 3s}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"redis.ack_timeout", "below ingest.redis_timeout"}},
		{"AckReplicasNegative", `
redis: {ack_replicas: -1}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"redis.ack_replicas"}},
		{"TooManyShards", `
queue: {shards: 65}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"queue.shards"}},
		{"SentinelWithoutMaster", `
redis: {url: "redis-sentinel://:pw@s1:26379/0"}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"redis.url", "master=NAME"}},
		{"BadRedisURL", `
redis: {url: "http://x"}
sources: [{name: a, verifier: {type: github, secrets: [x]}}]`, []string{"redis.url"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), env(nil))
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "topsecretvalue") {
				t.Fatalf("error reveals a secret: %v", err)
			}
		})
	}
}

// A decoder error never quotes a value: after expansion it may be a secret.
func TestDecodeErrorHidesExpandedValues(t *testing.T) {
	const secret = "whsec_topsecretvalue"
	_, err := Parse([]byte(`
sources:
  - name: a
    verifier: { type: stripe, secrets: "${S}" }
  - name: b
    verifier: { type: stripe, secrets: [x], tolerance: "${S}" }
  - name: c
    verifier: { type: stripe, secrets: { k: "${S}" } }
`), env(map[string]string{"S": secret}))
	if err == nil {
		t.Fatal("want error")
	}
	for _, w := range []string{"[]verify.Secret", "time.Duration", "value not shown"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	for i := 3; i <= len(secret); i++ {
		if strings.Contains(err.Error(), secret[:i]) {
			t.Fatalf("error reveals the first %d characters of the secret: %v", i, err)
		}
	}
}

func TestRefusesUnsignedTimestamp(t *testing.T) {
	_, err := Parse([]byte(`
sources: [{name: a, verifier: {type: hmac, header: X-Sig, timestamp_header: X-Ts, secrets: [x]}}]`), env(nil))
	if err == nil || !strings.Contains(err.Error(), "sources[0].verifier") || !strings.Contains(err.Error(), "{timestamp}") {
		t.Fatalf("want a start-up error naming the key and {timestamp}, got %v", err)
	}
}

// A variable's value is data, never YAML structure.
func TestExpansionCannotInjectYAML(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"STRIPE_SECRET": "x\"]\nroutes: []\n#"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 1 || string(c.Sources[0].Verifier.Secrets[0]) != "x\"]\nroutes: []\n#" {
		t.Fatalf("injection changed the config: %+v", c)
	}
}

func TestAdminIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9090": true, "localhost:1": true, "[::1]:9": true, ":9090": false, "0.0.0.0:1": false, "10.0.0.1:1": false} {
		if AdminIsLoopback(addr) != want {
			t.Errorf("%s: want %v", addr, want)
		}
	}
}

// A route that sets nothing gets the documented defaults, deadline margin included.
func TestDefaultTask(t *testing.T) {
	got := DefaultTask("r")
	if got.Route != "r" || got.MaxRetry != DefaultMaxRetries || got.Timeout != DefaultTimeout+TaskMargin {
		t.Fatalf("DefaultTask = %+v", got)
	}
}
