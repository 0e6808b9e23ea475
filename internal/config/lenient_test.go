package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookq/hookq/internal/config"
)

const lenientYAML = `
sources:
  - name: stripe
    verifier: { type: stripe, secrets: ["${STRIPE_SECRET}", "${STRIPE_OLD}"] }
  - name: seed
    verifier: { type: hmac, header: X-Signature, secrets: ["${SEED_SECRET}"] }
routes:
  - { name: app, source: stripe, handler: log }
  - { name: forms, source: seed, handler: log }
`

func writeConfig(tb testing.TB, text string) string {
	tb.Helper()
	f := filepath.Join(tb.TempDir(), "hookq.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestLoadLenient(t *testing.T) {
	file := writeConfig(t, lenientYAML)
	t.Run("UnsetSecrets", func(t *testing.T) {
		lc, err := config.LoadLenient(file, func(k string) string { return map[string]string{"SEED_SECRET": "s3cret"}[k] })
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string][]string{"stripe": {"STRIPE_SECRET", "STRIPE_OLD"}}, lc.Unset); diff != "" {
			t.Errorf("Unset (-want +got):\n%s", diff)
		}
		if err := lc.NeedSecrets("stripe"); err == nil || !strings.Contains(err.Error(), "${STRIPE_SECRET}, ${STRIPE_OLD}") {
			t.Errorf("NeedSecrets(stripe) = %v", err)
		}
		if err := lc.NeedSecrets("seed"); err != nil {
			t.Errorf("NeedSecrets(seed) = %v", err)
		}
		seed, ok := lc.Source("seed")
		if !ok || string(seed.Verifier.Secrets[0]) != "s3cret" {
			t.Errorf("seed = %+v, %v", seed, ok)
		}
		if len(lc.Routes) != 2 {
			t.Errorf("routes = %d, want 2", len(lc.Routes))
		}
	})
	t.Run("AllSet", func(t *testing.T) {
		lc, err := config.LoadLenient(file, func(k string) string {
			return map[string]string{"STRIPE_SECRET": "whsec_a", "STRIPE_OLD": "whsec_b", "SEED_SECRET": "s3cret"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		stripe, _ := lc.Source("stripe")
		if len(lc.Unset) != 0 || stripe.Verifier.Type != "stripe" {
			t.Errorf("Unset %v, stripe verifier %q", lc.Unset, stripe.Verifier.Type)
		}
	})
	t.Run("ErrStillValidated", func(t *testing.T) {
		bad := writeConfig(t, strings.Replace(lenientYAML, "source: seed", "source: nosuch", 1))
		if _, err := config.LoadLenient(bad, func(string) string { return "" }); err == nil {
			t.Error("a route of an unknown source loaded")
		}
	})
	t.Run("ErrNoFile", func(t *testing.T) {
		if _, err := config.LoadLenient(filepath.Join(t.TempDir(), "none.yaml"), func(string) string { return "" }); err == nil {
			t.Error("a missing file loaded")
		}
	})
}
