package sender_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/sender"
	"github.com/hookq/hookq/internal/verify"
)

const senderYAML = `
sources:
  - name: seed
    verifier: { type: hmac, header: X-Signature, secrets: ["s3cret"] }
    event_id: { header: X-Event-Id }
  - name: stripe
    verifier: { type: stripe, secrets: ["${STRIPE_SECRET}"] }
`

// TestSend posts to a stand-in ingest that checks every delivery with the
// real verifier: a delivery verifies, a forged one does not, and the
// source's id header is set.
func TestSend(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hookq.yaml")
	if err := os.WriteFile(file, []byte(senderYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadLenient(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := cfg.Source("seed")
	v, err := verify.New(seed.Verifier.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var gotID string
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gotID = r.Header.Get("X-Event-Id")
		if r.URL.Path != "/webhooks/seed" || v.Verify(&verify.Request{Header: r.Header, Body: body, Now: time.Now()}) != nil {
			http.Error(w, `{"error":"invalid_signature"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"status":"accepted"}`+"\n")
	}))
	defer ingest.Close()
	s := sender.New(cfg, ingest.URL+"/", nil)
	d := sender.Delivery{Source: "seed", ID: "evt_1", Type: "t", Body: []byte(`{"id":"evt_1"}`)}

	t.Run("OK", func(t *testing.T) {
		status, answer, err := s.Send(t.Context(), d)
		if err != nil || status != 200 || answer != `{"status":"accepted"}` || gotID != "evt_1" {
			t.Errorf("Send = %d %q %v; id header %q", status, answer, err, gotID)
		}
	})
	t.Run("Forged", func(t *testing.T) {
		f := d
		f.Forge = true
		if status, _, err := s.Send(t.Context(), f); err != nil || status != 401 {
			t.Errorf("forged: %d %v, want 401", status, err)
		}
	})
	for name, tc := range map[string]struct {
		source, want string
	}{
		"ErrUnknownSource": {"nosuch", `source "nosuch" is not in the config`},
		"ErrUnsetSecret":   {"stripe", "${STRIPE_SECRET}"},
	} {
		t.Run(name, func(t *testing.T) {
			e := d
			e.Source = tc.source
			if _, _, err := s.Send(t.Context(), e); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
