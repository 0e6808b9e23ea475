package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestLoadCommand: every event load sends verifies, and a source it cannot
// sign for fails before anything is sent.
func TestLoadCommand(t *testing.T) {
	sg := newSigning(t)
	var ok, bad atomic.Int64
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, _, err := sg.verify(r); err != nil || name != "seed" {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		ok.Add(1)
	}))
	defer ingest.Close()

	var out, errb bytes.Buffer
	args := []string{"load", "-config", sg.cfg, "-ingest", ingest.URL, "-duration", "200ms", "-rate", "50", "-concurrency", "2"}
	if err := run(t.Context(), args, sg.getenv, &out, &errb); err != nil {
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
