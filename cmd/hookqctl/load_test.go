package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/verify"
)

// TestLoadCommand: every event load sends verifies, and a source it cannot
// sign for fails before anything is sent.
func TestLoadCommand(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hookq.yaml")
	if err := os.WriteFile(cfg, []byte(triggerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"SEED_SECRET": "s3cret"}[k] }
	lc, err := config.LoadLenient(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := lc.Source("seed")
	v, err := verify.New(seed.Verifier.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var ok, bad atomic.Int64
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if v.Verify(&verify.Request{Header: r.Header, Body: body, Now: time.Now()}) != nil {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ok.Add(1)
	}))
	defer ingest.Close()

	var out, errb bytes.Buffer
	args := []string{"load", "-config", cfg, "-ingest", ingest.URL, "-duration", "200ms", "-rate", "50", "-concurrency", "2"}
	if err := run(t.Context(), args, getenv, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if ok.Load() == 0 || bad.Load() != 0 || !strings.Contains(out.String(), "  200: ") || strings.Contains(out.String(), "401") {
		t.Errorf("verified %d, refused %d; output:\n%s", ok.Load(), bad.Load(), out.String())
	}
	t.Run("ErrUnsetSecret", func(t *testing.T) {
		before := ok.Load()
		err := run(t.Context(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "${SEED_SECRET}") || ok.Load()+bad.Load() != before {
			t.Errorf("err = %v; sent %d", err, ok.Load()+bad.Load()-before)
		}
	})
}
