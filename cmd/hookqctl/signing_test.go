package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/verify"
)

// triggerConfig has a source of each kind the signing commands know.
const triggerConfig = `sources:
  - { name: seed, verifier: { type: hmac, header: X-Signature, secrets: ["${SEED_SECRET}"] } }
  - { name: stripe, verifier: { type: stripe, secrets: ["whsec_test"] } }
  - { name: github, verifier: { type: github, secrets: ["gh-secret"] } }
  - { name: sw, verifier: { type: standardwebhooks, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] } }
routes:
  - { name: payments, source: seed, events: ["payment_success"], handler: log }
  - { name: app, source: stripe, events: ["payment_intent.*"], handler: log }
`

// signing is what a test of a command that signs (send, trigger, demo,
// load) needs: triggerConfig in a file, the environment that fills its
// secret, and the real verifier of each source, for a stand-in ingest.
type signing struct {
	cfg       string              // the config file
	getenv    func(string) string // SEED_SECRET only
	lc        *config.Lenient
	verifiers map[string]verify.Verifier // by source name
}

func newSigning(t *testing.T) *signing {
	t.Helper()
	s := &signing{
		cfg:       filepath.Join(t.TempDir(), "hookq.yaml"),
		getenv:    func(k string) string { return map[string]string{"SEED_SECRET": "s3cret"}[k] },
		verifiers: map[string]verify.Verifier{},
	}
	if err := os.WriteFile(s.cfg, []byte(triggerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.lc, err = config.LoadLenient(s.cfg, s.getenv); err != nil {
		t.Fatal(err)
	}
	for _, src := range s.lc.Sources {
		if s.verifiers[src.Name], err = verify.New(src.Verifier.Spec()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// verify reads r's body and checks it with the verifier of the source its
// path (/webhooks/NAME) names, as ingest would.
func (s *signing) verify(r *http.Request) (source string, body []byte, err error) {
	source = strings.TrimPrefix(r.URL.Path, "/webhooks/")
	if body, err = io.ReadAll(r.Body); err != nil {
		return source, nil, err
	}
	v, ok := s.verifiers[source]
	if !ok {
		return source, body, fmt.Errorf("no source %q in the config", source)
	}
	return source, body, v.Verify(&verify.Request{Header: r.Header, Body: body, Now: time.Now()})
}
