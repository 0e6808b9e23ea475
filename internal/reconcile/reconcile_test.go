package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hookq/hookq/internal/app"
	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/ingest"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/reconcile"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

const (
	stripeKey    = "sk_test_reconcile"
	stripeSecret = "whsec_reconcile"
	githubToken  = "ghp_reconcile"
	githubSecret = "gh-reconcile-secret"
)

// loadConfig is a config whose reconcile blocks point at the fakes.
func loadConfig(t testing.TB, redisURL, stripeURL, githubURL string) *config.Config {
	t.Helper()
	return loadConfigHook(t, redisURL, stripeURL, githubURL, "repo: acme/shop")
}

// startStripe starts a private Redis and the fake Stripe API fs, and loads a
// config on both (GitHub points at a closed port).
func startStripe(tb testing.TB, fs *fakeStripe) (*redis.Client, *config.Config) {
	tb.Helper()
	srv := redistest.Start(tb)
	return srv.Client(), loadConfig(tb, srv.URL(), fs.serve(tb).URL, "http://127.0.0.1:1")
}

// loadConfigHook is loadConfig with the GitHub hook's owner ("repo: o/n" or "org: o").
func loadConfigHook(t testing.TB, redisURL, stripeURL, githubURL, owner string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
redis: {url: %q}
sources:
  - name: stripe
    verifier: {type: stripe, secrets: [%q]}
    reconcile: {api_key: %q, api_url: %q, interval: 15m}
  - name: gh
    verifier: {type: github, secrets: [%q]}
    reconcile: {token: %q, api_url: %q, %s, hook_id: 7}
routes:
  - {name: payments, source: stripe, events: ["payment_intent.*"], handler: log}
  - {name: refunds, source: stripe, events: ["charge.refunded"], handler: log}
  - {name: code, source: gh, events: ["push", "pull_request"], handler: log}
`, redisURL, stripeSecret, stripeKey, stripeURL, githubSecret, githubToken, githubURL, owner)
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startIngest serves the config's sources as cmd/ingest does.
func startIngest(t *testing.T, cfg *config.Config, rdb redis.UniversalClient) string {
	t.Helper()
	sources := map[string]*ingest.Source{}
	for _, s := range cfg.Sources {
		spec := s.Spec()
		v, err := verify.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		kind, _ := verify.Lookup(s.Verifier.Type)
		sources[s.Name] = &ingest.Source{Name: s.Name, Type: s.Verifier.Type, Verifier: v, DedupeTTL: s.DedupeTTL,
			EventID: kind.EventID, EventType: kind.EventType, Format: kind.Format(spec), SignatureHeaders: verify.SignatureHeaders(spec)}
	}
	for _, r := range cfg.Routes {
		sources[r.Source].Routes = append(sources[r.Source].Routes, ingest.Route{Events: r.Events,
			Task: webhook.Task{Route: r.Name, MaxRetry: *r.MaxRetries, Timeout: r.Timeout + 5*time.Second}})
	}
	s := httptest.NewServer(ingest.NewServer(zap.NewNop(), sources, queue.NewEnqueuer(rdb), queue.NewTokens(rdb), nil, ingest.Options{}))
	t.Cleanup(s.Close)
	return s.URL
}

// reconcilers builds them from cfg, as a freshly started process does.
func reconcilers(t *testing.T, cfg *config.Config, rdb redis.UniversalClient) map[string]*reconcile.Reconciler {
	t.Helper()
	ps, err := app.Reconcilers(cfg, rdb, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*reconcile.Reconciler{}
	for _, p := range ps {
		out[p.R.Source()] = p.R
	}
	return out
}

func pending(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	n, err := rdb.LLen(context.Background(), "asynq:{"+queue.Queue+"}:pending").Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// task returns the event in a task, nil when there is no such task.
func task(t *testing.T, rdb redis.UniversalClient, source, route, eventID string) *webhook.Event {
	t.Helper()
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(queue.Queue, webhook.TaskID(source, route, eventID))
	if errors.Is(err, asynq.ErrTaskNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	ev, err := webhook.Decode(info.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func indent(s string) []byte {
	var b bytes.Buffer
	json.Indent(&b, []byte(s), "", "  ")
	return b.Bytes()
}

// TestStripe: events Stripe holds, some delivered to hookq and some never;
// exactly the missing ones are enqueued, once, across pages; a dry run
// enqueues nothing; the watermark survives a Redis restart.
func TestStripe(t *testing.T) {
	srv := redistest.Start(t, redistest.WithAOF())
	rdb := srv.Client()
	ctx := context.Background()
	now := time.Now()
	fs := &fakeStripe{key: stripeKey, pageSize: 2}
	stripeURL := fs.serve(t).URL
	cfg := loadConfig(t, srv.URL(), stripeURL, "http://127.0.0.1:1")
	ingestURL := startIngest(t, cfg, rdb)

	events := []struct {
		id, typ   string
		age       time.Duration
		delivered bool
	}{
		{"evt_6", "payment_intent.succeeded", 30 * time.Second, false}, // fresh: its webhook may be on its way
		{"evt_5", "payment_intent.succeeded", 10 * time.Minute, false},
		{"evt_4", "charge.refunded", 20 * time.Minute, true},
		{"evt_3", "customer.created", 30 * time.Minute, false}, // no route
		{"evt_2", "payment_intent.created", 2 * time.Hour, true},
		{"evt_1", "charge.refunded", 5 * time.Hour, false},
		{"evt_0", "payment_intent.succeeded", 30 * time.Hour, false}, // before the window
	}
	raw := map[string]string{}
	for _, e := range events {
		raw[e.id] = stripeEvent(e.id, e.typ, now.Add(-e.age))
		fs.events = append(fs.events, raw[e.id])
		if e.delivered {
			if st := post(ingestURL+"/webhooks/stripe", sign.Request{Type: "stripe", Secret: stripeSecret, Body: indent(raw[e.id]), Now: now}); st != http.StatusOK {
				t.Fatalf("delivering %s: status %d", e.id, st)
			}
		}
	}
	if n := pending(t, rdb); n != 2 {
		t.Fatalf("pending after deliveries = %d, want 2", n)
	}

	recs := reconcilers(t, cfg, rdb)
	t.Run("DryRun", func(t *testing.T) {
		rep, err := recs["stripe"].Run(ctx, reconcile.Options{Since: 24 * time.Hour, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Enqueued != 2 || rep.Present != 2 || rep.Ignored != 1 || !slices.Equal(rep.Missed, []string{"evt_5", "evt_1"}) {
			t.Fatalf("dry run report %+v", rep)
		}
		if n := pending(t, rdb); n != 2 {
			t.Fatalf("dry run enqueued: pending = %d, want 2", n)
		}
		if rdb.Exists(ctx, reconcile.WatermarkKey("stripe")).Val() != 0 {
			t.Fatal("dry run wrote a watermark")
		}
	})

	var first *reconcile.Report
	t.Run("EnqueuesExactlyTheMissing", func(t *testing.T) {
		requests := fs.requests
		rep, err := recs["stripe"].Run(ctx, reconcile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		first = rep
		want := &reconcile.Report{From: rep.From, Until: rep.Until, Listed: 5, Ignored: 1, Present: 2, Enqueued: 2,
			Missed: []string{"evt_5", "evt_1"}, Watermark: rep.Until.Truncate(time.Millisecond)}
		if d := cmp.Diff(want, rep); d != "" {
			t.Fatalf("report (-want +got):\n%s", d)
		}
		if got := fs.requests - requests; got != 3 {
			t.Errorf("%d requests for 6 events at 2 a page, want 3", got)
		}
		if n := pending(t, rdb); n != 4 {
			t.Fatalf("pending = %d, want 4", n)
		}
		for _, c := range []struct{ route, id string }{{"payments", "evt_5"}, {"refunds", "evt_1"}} {
			ev := task(t, rdb, "stripe", c.route, c.id)
			if ev == nil {
				t.Fatalf("no %s task for %s", c.route, c.id)
			}
			if ev.VerifiedBy != "stripe-api" || !bytes.Equal(ev.Body, indent(raw[c.id])) || ev.ContentType != "application/json; charset=utf-8" {
				t.Errorf("%s: verified_by %q, content type %q, body\n%s", c.id, ev.VerifiedBy, ev.ContentType, ev.Body)
			}
		}
		if ev := task(t, rdb, "stripe", "refunds", "evt_4"); ev == nil || ev.VerifiedBy != "stripe" {
			t.Errorf("the delivered event's task changed: %+v", ev)
		}
		for _, id := range []string{"evt_6", "evt_3", "evt_0"} {
			if ok, err := queue.Marked(ctx, rdb, "stripe", id, 72*time.Hour); err != nil || ok {
				t.Errorf("%s was marked", id)
			}
		}
	})

	t.Run("WatermarkSurvivesRestart", func(t *testing.T) {
		if first == nil {
			t.Skip("first run failed")
		}
		srv.Restart()
		recs := reconcilers(t, cfg, rdb) // a new process
		rep, err := recs["stripe"].Run(ctx, reconcile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := first.Watermark.Add(-reconcile.Overlap); !rep.From.Equal(want) {
			t.Errorf("second run from %v, want the watermark less the overlap, %v", rep.From, want)
		}
		// The window now holds evt_5, evt_4 (and evt_3, no route).
		if rep.Enqueued != 0 || rep.Present != 2 || rep.Ignored != 1 {
			t.Errorf("second run report %+v", rep)
		}
		rep, err = recs["stripe"].Run(ctx, reconcile.Options{Since: 24 * time.Hour})
		if err != nil || rep.Enqueued != 0 || rep.Present != 4 {
			t.Errorf("24h run: %+v, %v", rep, err)
		}
		if n := pending(t, rdb); n != 4 {
			t.Fatalf("pending = %d, want 4: something was enqueued twice", n)
		}
	})

	t.Run("ErrWindow", func(t *testing.T) {
		_, err := recs["stripe"].Run(ctx, reconcile.Options{Since: 100 * time.Hour})
		if !errors.Is(err, reconcile.ErrWindow) {
			t.Fatalf("a lookback past the 72h dedupe window: err = %v", err)
		}
	})
}

// TestStripeRateLimit: a 429 with Retry-After is waited out, and the run
// completes.
func TestStripeRateLimit(t *testing.T) {
	fs := &fakeStripe{key: stripeKey, pageSize: 100, limited: 1,
		events: []string{stripeEvent("evt_a", "payment_intent.succeeded", time.Now().Add(-time.Hour))}}
	rdb, cfg := startStripe(t, fs)
	start := time.Now()
	rep, err := reconcilers(t, cfg, rdb)["stripe"].Run(context.Background(), reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %v: Retry-After: 1 was not waited for", took)
	}
	if fs.refused != 1 || fs.requests != 2 || rep.Enqueued != 1 {
		t.Errorf("refused %d, requests %d, report %+v", fs.refused, fs.requests, rep)
	}
}

// TestGitHub: deliveries GitHub lists, some that reached hookq and some
// that did not; exactly the missing GUIDs are redelivered, once each, and
// arrive signed through ingest; a second run asks for nothing. Repository
// and organisation hooks alike.
func TestGitHub(t *testing.T) {
	for name, c := range map[string]struct{ owner, path string }{
		"Repo": {"repo: acme/shop", "/repos/acme/shop/hooks/7"},
		"Org":  {"org: acme", "/orgs/acme/hooks/7"},
	} {
		t.Run(name, func(t *testing.T) { testGitHub(t, c.owner, c.path) })
	}
}

func testGitHub(t *testing.T, owner, hookPath string) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	fg := &fakeGitHub{token: githubToken, secret: githubSecret, pageSize: 2, nextID: 100, bodies: map[string][]byte{}}
	ghURL := fg.serve(t, hookPath).URL
	cfg := loadConfigHook(t, srv.URL(), "http://127.0.0.1:1", ghURL, owner)
	ingestURL := startIngest(t, cfg, rdb)
	fg.ingest = ingestURL + "/webhooks/gh"

	// Listed newest first, as GitHub does.
	type attempt struct {
		id        int64
		guid, evt string
		age       time.Duration
		status    int
		toHookq   bool // reached hookq and was accepted
	}
	attempts := []attempt{
		{12, "g3", "pull_request", 20 * time.Minute, 503, false}, // the newest attempt of g3
		{11, "g6", "push", 30 * time.Minute, 0, true},            // hookq accepted, GitHub timed out
		{10, "g4", "star", 40 * time.Minute, 503, false},         // no route
		{9, "g3", "pull_request", 50 * time.Minute, 503, false},
		{8, "g2", "push", 2 * time.Hour, 502, false},
		{7, "g1", "push", 3 * time.Hour, 200, true},
		{6, "g7", "push", 30 * time.Second, 503, false}, // fresh: GitHub may still be retrying
		{5, "g5", "push", 30 * time.Hour, 503, false},   // before the window
	}
	slices.SortStableFunc(attempts, func(a, b attempt) int { return int(a.age - b.age) })
	for _, a := range attempts {
		body := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","hook_id":7,"delivery":%q}`, a.guid))
		fg.bodies[a.guid] = body
		fg.deliveries = append(fg.deliveries, delivery{ID: a.id, GUID: a.guid, At: now.Add(-a.age), Status: http.StatusText(a.status),
			StatusCode: a.status, Event: a.evt})
		if a.toHookq {
			if st := post(fg.ingest, sign.Request{Type: "github", Secret: githubSecret, Body: body, Now: now, EventID: a.guid, EventType: a.evt}); st != http.StatusOK {
				t.Fatalf("delivering %s: %d", a.guid, st)
			}
		}
	}

	recs := reconcilers(t, cfg, rdb)
	rep, err := recs["gh"].Run(ctx, reconcile.Options{DryRun: true})
	if err != nil || rep.Redelivered != 2 || len(fg.redelivered) != 0 {
		t.Fatalf("dry run: %+v, %v; redeliveries asked %v", rep, err, fg.redelivered)
	}

	rep, err = recs["gh"].Run(ctx, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{12, 8}, fg.redelivered); d != "" {
		t.Errorf("redelivery requests (-want +got):\n%s", d)
	}
	if rep.Listed != 5 || rep.Present != 2 || rep.Ignored != 1 || rep.Redelivered != 2 || rep.Enqueued != 0 {
		t.Errorf("report %+v", rep)
	}
	for _, g := range []string{"g2", "g3"} {
		ev := task(t, rdb, "gh", "code", g)
		if ev == nil || ev.VerifiedBy != "github" {
			t.Errorf("%s: redelivery did not arrive through ingest as a verified delivery: %+v", g, ev)
		}
	}
	for _, g := range []string{"g4", "g5", "g7"} {
		if ok, err := queue.Marked(ctx, rdb, "gh", g, 72*time.Hour); err != nil || ok {
			t.Errorf("%s was delivered", g)
		}
	}

	asked := len(fg.redelivered)
	rep, err = reconcilers(t, cfg, rdb)["gh"].Run(ctx, reconcile.Options{Since: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(fg.redelivered) != asked || rep.Redelivered != 0 || rep.Present != 4 {
		t.Errorf("second run asked again: %v; report %+v", fg.redelivered[asked:], rep)
	}
}

// TestConfigErrors: the reconcile block's mistakes are named at load.
func TestConfigErrors(t *testing.T) {
	for name, c := range map[string]struct{ source, want string }{
		"StripeKey":     {`{name: s, verifier: {type: stripe, secrets: [x]}, reconcile: {}}`, "sources[0].reconcile.api_key: is required"},
		"GitHubRepo":    {`{name: s, verifier: {type: github, secrets: [x]}, reconcile: {token: t, hook_id: 1, repo: nope}}`, "sources[0].reconcile.repo"},
		"GitHubHook":    {`{name: s, verifier: {type: github, secrets: [x]}, reconcile: {token: t, org: o}}`, "sources[0].reconcile.hook_id"},
		"Unsupported":   {`{name: s, verifier: {type: shopify, secrets: [x]}, reconcile: {api_key: k}}`, "supports verifier types stripe and github"},
		"SinceTooLong":  {`{name: s, verifier: {type: stripe, secrets: [x]}, dedupe_ttl: 24h, reconcile: {api_key: k, since: 24h}}`, "sources[0].reconcile.since"},
		"OwnEventID":    {`{name: s, verifier: {type: stripe, secrets: [x]}, event_id: {json: data.id}, reconcile: {api_key: k}}`, "provider's own event_id"},
		"ShortInterval": {`{name: s, verifier: {type: stripe, secrets: [x]}, reconcile: {api_key: k, interval: 10s}}`, "sources[0].reconcile.interval"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte("sources:\n  - "+c.source+"\n"), func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// BenchmarkStripeRun: one run over 1,000 missed Stripe events, 100 a page,
// every one enqueued (the private Redis is emptied between runs).
func BenchmarkStripeRun(b *testing.B) {
	now := time.Now()
	fs := &fakeStripe{key: stripeKey, pageSize: 100}
	for i := range 1000 {
		fs.events = append(fs.events, stripeEvent(fmt.Sprintf("evt_%04d", 1000-i), "payment_intent.succeeded", now.Add(-time.Hour-time.Duration(i)*time.Second)))
	}
	rdb, cfg := startStripe(b, fs)
	ps, err := app.Reconcilers(cfg, rdb, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	rec := ps[0].R
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		rdb.FlushDB(ctx)
		b.StartTimer()
		rep, err := rec.Run(ctx, reconcile.Options{})
		if err != nil || rep.Enqueued != 1000 {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

// TestStripeInterruptedRun: a run that dies after its first page (its
// context ends, as when the worker is killed) leaves what it enqueued and no
// watermark; the next run enqueues the rest, and every event once.
func TestStripeInterruptedRun(t *testing.T) {
	now := time.Now()
	fs := &fakeStripe{key: stripeKey, pageSize: 2}
	for i := range 6 {
		fs.events = append(fs.events, stripeEvent(fmt.Sprintf("evt_%d", 6-i), "payment_intent.succeeded", now.Add(-time.Duration(i+1)*time.Hour)))
	}
	rdb, cfg := startStripe(t, fs)
	rec := reconcilers(t, cfg, rdb)["stripe"]

	ctx, cancel := context.WithCancel(context.Background())
	fs.onPage = func(n int) {
		if n == 2 {
			cancel()
			time.Sleep(100 * time.Millisecond) // the client gives up first
		}
	}
	rep, err := rec.Run(ctx, reconcile.Options{})
	if err == nil || rep == nil || rep.Enqueued != 2 {
		t.Fatalf("interrupted run: %+v, %v; want 2 enqueued and an error", rep, err)
	}
	if rdb.Exists(context.Background(), reconcile.WatermarkKey("stripe")).Val() != 0 {
		t.Fatal("an interrupted run moved the watermark")
	}
	fs.mu.Lock()
	fs.onPage = nil
	fs.mu.Unlock()
	rep, err = rec.Run(context.Background(), reconcile.Options{})
	if err != nil || rep.Enqueued != 4 || rep.Present != 2 || rep.Watermark.IsZero() {
		t.Fatalf("next run: %+v, %v", rep, err)
	}
	if n := pending(t, rdb); n != 6 {
		t.Fatalf("pending = %d, want 6", n)
	}
}
