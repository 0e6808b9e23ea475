package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/handlers"
)

// TestDemo runs the demo against a stand-in ingest that verifies with the
// real verifier: the seed's examples and the provider retry are accepted,
// the forgery is refused, and demo reports every step as expected.
func TestDemo(t *testing.T) {
	sg := newSigning(t)
	var seedTypes []string
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, body, err := sg.verify(r)
		if err != nil {
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
	if err := run(t.Context(), []string{"demo", "-config", sg.cfg, "-ingest", ingest.URL}, sg.getenv, &out, &errb); err != nil {
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
