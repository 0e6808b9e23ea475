package verify_test

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

var fuzzNow = time.Unix(1_750_000_000, 0)

func build(tb testing.TB, c verifytest.Case, secrets ...verify.Secret) verify.Verifier {
	tb.Helper()
	s := c.Spec
	s.Secrets = secrets
	v, err := verify.New(s)
	if err != nil {
		tb.Fatalf("verify.New: %v", err)
	}
	return v
}

// fuzzCase fuzzes the values of a case's signature headers (up to three),
// the raw query and the body. Seeds are genuine deliveries signed with the
// case's first secret, plus malformed variants. For every input:
//   - the verifier holding the signing secret must not panic (nor may its
//     Handshake), so the paths after a matching signature are exercised;
//   - a verifier holding another secret must refuse it: whatever the input,
//     forging is never an outcome.
func fuzzCase(f *testing.F, c verifytest.Case) {
	h, q := c.Sign(f, c.Secrets[0], c.Body, fuzzNow)
	names := c.SignatureHeaders
	if len(names) > 3 {
		names = names[:3]
	}
	vals := make([]string, 3)
	for i, n := range names {
		vals[i] = h.Get(n)
	}
	f.Add(vals[0], vals[1], vals[2], q, c.Body)
	f.Add(vals[0], vals[1], vals[2], q, []byte{})
	f.Add("", vals[1], vals[2], q, c.Body)
	f.Add(vals[0]+","+vals[0], vals[1]+" ", "-"+vals[2], q+"&bodySHA256=00", c.Body)
	f.Add("t=1,v1=,h1=;ts=;v0=;sha256=;sha1=;v1a,;;", "=", ",,,", "%zz", []byte("{\"signature\":{}}"))
	good, other := build(f, c, c.Secrets[0]), build(f, c, c.Wrong)
	hs, _ := good.(verify.Handshaker)
	f.Fuzz(func(t *testing.T, a, b, cc, query string, body []byte) {
		hh := h.Clone()
		for i, v := range []string{a, b, cc}[:len(names)] {
			hh[http.CanonicalHeaderKey(names[i])] = []string{v}
		}
		hb, bb := hh, body
		if c.Embed != nil {
			hb, bb = c.Embed(hh, body)
		}
		r := &verify.Request{Header: hb, Body: bb, RawQuery: query, Now: fuzzNow}
		if err := good.Verify(r); err == nil && hs != nil {
			hs.Handshake(r)
		}
		if err := other.Verify(r); err == nil {
			t.Fatalf("accepted under a secret that did not sign: headers %q query %q body %q", hb, query, bb)
		}
	})
}

func FuzzHMAC(f *testing.F)             { fuzzCase(f, hmacSeedCase()) }
func FuzzStripe(f *testing.F)           { fuzzCase(f, stripeCase()) }
func FuzzGitHub(f *testing.F)           { fuzzCase(f, githubCase()) }
func FuzzStandardWebhooks(f *testing.F) { fuzzCase(f, swCase("standardwebhooks", "webhook-")) }
func FuzzSvix(f *testing.F)             { fuzzCase(f, swCase("svix", "svix-")) }
func FuzzShopify(f *testing.F)          { fuzzCase(f, shopifyCase()) }
func FuzzSlack(f *testing.F)            { fuzzCase(f, slackCase()) }
func FuzzTwilio(f *testing.F)           { fuzzCase(f, twilioFormCase()) }
func FuzzTwilioJSON(f *testing.F)       { fuzzCase(f, twilioJSONCase()) }
func FuzzPaddle(f *testing.F)           { fuzzCase(f, paddleCase()) }
func FuzzSquare(f *testing.F)           { fuzzCase(f, squareCase()) }
func FuzzDiscord(f *testing.F)          { fuzzCase(f, discordCase(time.Minute)) }
func FuzzGitLab(f *testing.F)           { fuzzCase(f, gitlabCase()) }
func FuzzMailgun(f *testing.F)          { fuzzCase(f, mailgunCase()) }
func FuzzLinear(f *testing.F)           { fuzzCase(f, linearCase()) }
func FuzzZoom(f *testing.F)             { fuzzCase(f, zoomCase()) }
func FuzzIntercom(f *testing.F)         { fuzzCase(f, intercomCase()) }
func FuzzSendGrid(f *testing.F)         { fuzzCase(f, sendgridCase(time.Minute)) }

// The catalogue's primitives, each through a preset that exercises its
// parser: key-value fields with a millisecond timestamp and base64url
// (sanity), a layout timestamp header and a space-separated list (orb).
func FuzzHMACFields(f *testing.F)          { fuzzCase(f, presetCase(mustPreset(f, "sanity"))) }
func FuzzHMACTimestampHeader(f *testing.F) { fuzzCase(f, presetCase(mustPreset(f, "orb"))) }
func FuzzAsymmetric(f *testing.F)          { fuzzCase(f, presetCase(mustPreset(f, "telnyx"))) }
func FuzzBasicAuth(f *testing.F)           { fuzzCase(f, presetCase(mustPreset(f, "postmark"))) }

func mustPreset(tb testing.TB, name string) verify.Preset {
	tb.Helper()
	p, ok := verify.Find(name)
	if !ok {
		tb.Fatalf("no preset %s", name)
	}
	return p
}

// Every primitive has a fuzz target above (through the preset named here);
// this keeps the list honest.
func TestEveryPrimitiveIsFuzzed(t *testing.T) {
	fuzzed := map[string]string{"hmac": "hmac", "stripe": "stripe", "standardwebhooks": "standardwebhooks", "svix": "svix",
		"slack": "slack", "twilio": "twilio", "paddle": "paddle", "square": "square", "discord": "discord",
		"mailgun": "mailgun", "linear": "linear", "zoom": "zoom", "sendgrid": "sendgrid",
		"hmac-body": "github, shopify, intercom", "hmac-timestamp": "sanity, orb", "hmac-url": "FuzzHMACFields (same parser; only the template differs)",
		"digest": "FuzzHMACTimestampHeader (same parser; only the hash differs)", "asymmetric": "telnyx", "shared-secret": "gitlab, postmark",
		"graph": "FuzzGraph", "sns": "FuzzSNS (whole bodies)", "paypal": "FuzzPayPal"}
	for _, p := range verify.Primitives() {
		if _, ok := fuzzed[p]; !ok && usedBy(p) {
			t.Errorf("primitive %s is used by a preset but has no fuzz target", p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(fuzzed)) {
		if !slices.Contains(verify.Primitives(), p) {
			t.Errorf("fuzzed primitive %s is not registered", p)
		}
	}
}

func usedBy(primitive string) bool {
	for _, p := range verify.Catalogue() {
		if p.Primitive == primitive {
			return true
		}
	}
	return false
}

// pad1K grows a case's body to about 1 KB, keeping its shape (JSON object,
// JSON array or form).
func pad1K(body []byte) []byte {
	n := 1024 - len(body)
	if n < 16 {
		return body
	}
	switch {
	case len(body) > 0 && body[0] == '{':
		return append([]byte(`{"pad":"`+string(bytes.Repeat([]byte("x"), n-10))+`",`), body[1:]...)
	case len(body) > 0 && body[0] == '[':
		return append([]byte(`[{"pad":"`+string(bytes.Repeat([]byte("x"), n-12))+`"},`), body[1:]...)
	default:
		return append(append([]byte(nil), body...), "&Pad="+string(bytes.Repeat([]byte("x"), n-5))...)
	}
}

func BenchmarkVerify(b *testing.B) {
	cases := allCases()
	for _, n := range slices.Sorted(maps.Keys(cases)) {
		c := cases[n]
		b.Run(n, func(b *testing.B) {
			body := pad1K(c.Body)
			h, q := c.Sign(b, c.Secrets[0], body, fuzzNow)
			if c.Embed != nil {
				h, body = c.Embed(h, body)
			}
			v := build(b, c, c.Secrets[0])
			r := &verify.Request{Header: h, Body: body, RawQuery: q, Now: fuzzNow}
			if err := v.Verify(r); err != nil {
				b.Fatalf("genuine %d-byte delivery refused: %v", len(body), err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = v.Verify(r)
			}
		})
	}
}

// mailgunFormEmbed moves the pseudo-headers into legacy form fields.
func mailgunFormEmbed(h http.Header, body []byte) (http.Header, []byte) {
	out := append([]byte(nil), body...)
	for _, k := range []string{"Timestamp", "Token", "Signature"} {
		if v := h.Values(k); len(v) > 0 {
			if len(out) > 0 {
				out = append(out, '&')
			}
			out = append(out, strings.ToLower(k)+"="+url.QueryEscape(v[0])...)
		}
	}
	return http.Header{}, out
}

func FuzzMailgunForm(f *testing.F) { fuzzCase(f, mailgunFormCase()) }
