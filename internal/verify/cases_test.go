package verify_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
	"github.com/hookq/hookq/internal/webhook"
)

// allCases returns the conformance case of every registered type; fuzz
// targets and benchmarks are built from them.
func allCases() map[string]verifytest.Case {
	m := handCases()
	for _, p := range verify.Catalogue() {
		if _, ok := m[p.Name]; ok {
			continue
		}
		if c, ok := m[p.Primitive]; ok { // a preset over a hand-written scheme
			c.Spec.Type = p.Name
			m[p.Name] = c
		} else if generic(p) {
			m[p.Name] = presetCase(p)
		}
	}
	return m
}

// TestConformance runs the conformance suite on every registered type: the
// hand-written cases and the presets derived from them or from the catalogue.
func TestConformance(t *testing.T) {
	snsFixture(t) // the certificate aws-sns and paypal deliveries are checked against
	cases := allCases()
	for _, n := range slices.Sorted(maps.Keys(cases)) {
		t.Run(n, func(t *testing.T) { verifytest.Run(t, cases[n]) })
	}
}

// handCases are the conformance cases written by hand, one per scheme file.
func handCases() map[string]verifytest.Case {
	return map[string]verifytest.Case{
		"hmac":             hmacSeedCase(),
		"stripe":           stripeCase(),
		"github":           githubCase(),
		"standardwebhooks": swCase("standardwebhooks", "webhook-"),
		"svix":             swCase("svix", "svix-"),
		"shopify":          shopifyCase(),
		"slack":            slackCase(),
		"twilio":           twilioFormCase(),
		"paddle":           paddleCase(),
		"square":           squareCase(),
		"discord":          discordCase(0),
		"gitlab":           gitlabCase(),
		"mailgun":          mailgunCase(),
		"linear":           linearCase(),
		"zoom":             zoomCase(),
		"intercom":         intercomCase(),
		"sendgrid":         sendgridCase(0),
		"aws-sns":          snsCase(),
		"microsoft-graph":  graphCase(),
		"paypal":           paypalCase(),
	}
}

func TestEveryTypeHasACase(t *testing.T) {
	cases := allCases()
	var missingCase []string
	for _, typ := range verify.Types() {
		if _, ok := cases[typ]; !ok {
			missingCase = append(missingCase, typ)
		}
		if _, ok := verify.Lookup(typ); !ok {
			t.Errorf("Lookup(%q) failed", typ)
		}
	}
	if len(missingCase) > 0 {
		t.Fatalf("types without a conformance case: %v", missingCase)
	}
}

// Handshakes are answered only by the providers that probe endpoints.
func TestHandshakers(t *testing.T) {
	want := map[string]bool{"slack": true, "zoom": true, "discord": true}
	cases := allCases()
	for _, n := range slices.Sorted(maps.Keys(cases)) {
		c := cases[n]
		s := c.Spec
		s.Secrets = []verify.Secret{c.Secrets[0]}
		v, err := verify.New(s)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, ok := v.(verify.Handshaker); ok != want[n] {
			t.Errorf("%s: implements Handshaker = %v, want %v", n, ok, want[n])
		}
	}
}

func macB64(h func() hash.Hash, key string, parts ...string) string {
	return base64.StdEncoding.EncodeToString(macRaw(h, []byte(key), parts...))
}

func macRaw(h func() hash.Hash, key []byte, parts ...string) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func sha1Hex(key string, parts ...string) string {
	return hex.EncodeToString(macRaw(sha1.New, []byte(key), parts...))
}

func sha256B64(key string, parts ...string) string { return macB64(sha256.New, key, parts...) }

// tokenCase is the conformance case of a scheme whose secret travels as is
// in header: a shared token, which signs nothing, the body least of all.
func tokenCase(typ, header string, secrets [2]verify.Secret, wrong verify.Secret, body string) verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: typ},
		Secrets: secrets,
		Wrong:   wrong,
		Sign: func(_ testing.TB, s verify.Secret, _ []byte, _ time.Time) (http.Header, string) {
			return hdr(header, string(s)), ""
		},
		SignatureHeaders: []string{header},
		BodyNotSigned:    true,
		Body:             []byte(body),
	}
}

// b64ToHex and hexToB64 re-encode a signature for ErrWrongEncoding.
// reencoded is a ReEncode for a scheme that accepts one signature encoding:
// it rewrites header's value after its literal prefix with conv (b64ToHex or
// hexToB64), the other encoding of the same bytes.
func reencoded(header, prefix string, conv func(string) string) func(http.Header) http.Header {
	return func(h http.Header) http.Header {
		h.Set(header, prefix+conv(strings.TrimPrefix(h.Get(header), prefix)))
		return h
	}
}

// The conformance suite only sees ReEncode's output refused, which a garbled
// value would be too: check that it is the same bytes in the other encoding.
func TestReencoded(t *testing.T) {
	if got := reencoded("X-Sig", "v0=", hexToB64)(hdr("X-Sig", "v0=00ff10")).Get("X-Sig"); got != "v0=AP8Q" {
		t.Errorf("hex to base64: %q, want v0=AP8Q", got)
	}
	if got := reencoded("X-Sig", "", b64ToHex)(hdr("X-Sig", "AP8Q")).Get("X-Sig"); got != "00ff10" {
		t.Errorf("base64 to hex: %q, want 00ff10", got)
	}
}

func b64ToHex(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	return hex.EncodeToString(b)
}

func hexToB64(s string) string {
	b, _ := hex.DecodeString(s)
	return base64.StdEncoding.EncodeToString(b)
}

// edKey is a deterministic Ed25519 key for tests.
func edKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed + byte(i)
	}
	return ed25519.NewKeyFromSeed(s)
}

func unixStr(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// mustVerify builds a verifier and checks r against want (nil = accepted).
func mustVerify(tb testing.TB, spec verify.Spec, r *verify.Request, want error) {
	tb.Helper()
	v, err := verify.New(spec)
	if err != nil {
		tb.Fatalf("verify.New: %v", err)
	}
	got := v.Verify(r)
	switch {
	case want == nil && got != nil:
		tb.Fatalf("Verify = %v, want nil", got)
	case want != nil && !errors.Is(got, want):
		tb.Fatalf("Verify = %v, want %v", got, want)
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

var errInvalid, errMissing, errTolerance = webhook.ErrInvalidSignature, webhook.ErrMissingSignature, webhook.ErrTimestampTolerance
