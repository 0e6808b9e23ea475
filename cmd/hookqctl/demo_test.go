package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/handlers"
	"github.com/hookq/hookq/internal/verify"
)

// TestDemo runs the demo against a stand-in ingest that verifies with the
// real verifier: the seed's examples and the provider retry are accepted,
// the forgery is refused, and demo reports every step as expected.
func TestDemo(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hookq.yaml")
	if err := os.WriteFile(cfg, []byte(triggerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"SEED_SECRET": "s3cret"}[k] }
	lc, err := config.LoadLenient(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	verifiers := map[string]verify.Verifier{}
	for _, s := range lc.Sources {
		if verifiers[s.Name], err = verify.New(s.Verifier.Spec()); err != nil {
			t.Fatal(err)
		}
	}
	var seedTypes []string
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		name := strings.TrimPrefix(r.URL.Path, "/webhooks/")
		if verifiers[name].Verify(&verify.Request{Header: r.Header, Body: body, Now: time.Now()}) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if name == "seed" {
			seedTypes = append(seedTypes, gjson.GetBytes(body, "type").String())
		}
		io.WriteString(w, `{"status":"accepted"}`)
	}))
	defer ingest.Close()

	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"demo", "-config", cfg, "-ingest", ingest.URL}, getenv, &out, &errb); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"ok   forged payment (wrong secret)", "-> 401", "ok   same payment again (provider retry)", "ok   stripe payment_intent.succeeded",
		"ok   github ping"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	want := append(slices.Clone(handlers.ExampleTypes), "payment_success") // and the retry
	if !slices.Equal(seedTypes, want) {
		t.Errorf("ingest accepted seed events %v, want %v", seedTypes, want)
	}
}
