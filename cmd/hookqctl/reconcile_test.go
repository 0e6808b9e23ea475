package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
)

// TestReconcileCommand: the command against a one-event Stripe API: a dry
// run enqueues nothing, a run enqueues the event, a second run nothing; and
// its usage errors.
func TestReconcileCommand(t *testing.T) {
	srv := redistest.Start(t)
	event := fmt.Sprintf(`{"id":"evt_cli","object":"event","created":%d,"type":"payment_intent.succeeded","data":{"object":{}}}`, time.Now().Add(-time.Hour).Unix())
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk_test_cli" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"object":"list","has_more":false,"data":[%s]}`, event)
	}))
	defer api.Close()
	cfg := filepath.Join(t.TempDir(), "hookq.yaml")
	os.WriteFile(cfg, []byte(`redis: {url: "`+srv.URL()+`"}
sources:
  - name: stripe
    verifier: {type: stripe, secrets: [whsec_x]}
    reconcile: {api_key: "${STRIPE_API_KEY}", api_url: "`+api.URL+`"}
  - name: seed
    verifier: {type: hmac, header: X-Sig, secrets: [x]}
routes:
  - {name: app, source: stripe, handler: log}
`), 0o600)
	getenv := func(k string) string {
		if k == "STRIPE_API_KEY" {
			return "sk_test_cli"
		}
		return ""
	}
	reconcile := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"reconcile", "-config", cfg}, args...), getenv, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	rdb := srv.Client()
	pending := func() int64 { return rdb.LLen(context.Background(), "asynq:{webhooks}:pending").Val() }

	out, err := reconcile("-source", "stripe", "-since", "24h", "-dry-run")
	if err != nil || !strings.Contains(out, "would be enqueued 1") || !strings.Contains(out, "evt_cli") || pending() != 0 {
		t.Fatalf("dry run: %v, pending %d\n%s", err, pending(), out)
	}
	out, err = reconcile("-source", "stripe")
	if err != nil || !strings.Contains(out, "missed: enqueued 1") || pending() != 1 {
		t.Fatalf("run: %v, pending %d\n%s", err, pending(), out)
	}
	out, err = reconcile("-source", "stripe", "-since", "2d", "-json")
	if err != nil || !strings.Contains(out, `"enqueued": 0`) || !strings.Contains(out, `"present": 1`) || pending() != 1 {
		t.Fatalf("second run: %v, pending %d\n%s", err, pending(), out)
	}

	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"ErrNoSource":      {nil, "-source is required"},
		"ErrNotReconciled": {[]string{"-source", "seed"}, `source "seed" has no reconcile block (sources with one: stripe)`},
		"ErrBadSince":      {[]string{"-source", "stripe", "-since", "yesterday"}, "-since"},
		"ErrPastWindow":    {[]string{"-source", "stripe", "-since", "5d"}, "beyond the dedupe window"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := reconcile(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q\n%s", err, c.want, out)
			}
		})
	}
}
