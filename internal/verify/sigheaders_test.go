package verify_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hookq/hookq/internal/verify"
)

// Every type but those signing in the body names a signature header, and a genuine delivery
// (its conformance case) carries one of them: ingest may then refuse a
// request without one before reading its body.
func TestSignatureHeaders(t *testing.T) {
	for typ, c := range allCases() {
		t.Run(typ, func(t *testing.T) {
			names := verify.SignatureHeaders(c.Spec)
			switch typ {
			case "mailgun", "aws-sns", "microsoft-graph":
				if len(names) != 0 {
					t.Fatalf("%s signs in the body; got %v", typ, names)
				}
				return
			}
			h, _ := c.Sign(t, c.Secrets[0], c.Body, fuzzNow)
			for _, n := range names {
				if h.Get(n) != "" {
					return
				}
			}
			t.Fatalf("signed delivery %v carries none of %v", h, names)
		})
	}
}

// Twilio signs decoded, sorted parameters: reordering or re-encoding them,
// or shifting a name/value boundary, keeps the signature valid. What it
// reports as signed, and so the default event id, stays the same.
func TestTwilioSignedStable(t *testing.T) {
	c := twilioFormCase()
	v := build(t, c, c.Secrets[0])
	h, q := c.Sign(t, c.Secrets[0], c.Body, fuzzNow)
	signed := func(body string) []byte {
		t.Helper()
		r := &verify.Request{Header: h, Body: []byte(body), RawQuery: q, Now: fuzzNow}
		if err := v.Verify(r); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		return r.Signed
	}
	orig := signed(string(c.Body))
	if len(orig) == 0 {
		t.Fatal("twilio reports nothing signed")
	}
	parts := strings.Split(string(c.Body), "&")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	for name, body := range map[string]string{
		"Reordered":     strings.Join(parts, "&"),
		"ReEncoded":     strings.Replace(string(c.Body), "Body=hello+5", "Body=hell%6F%205", 1),
		"ShiftedBorder": strings.Replace(string(c.Body), "AccountSid=AC0", "AccountSidA=C0", 1),
	} {
		if got := signed(body); !bytes.Equal(got, orig) {
			t.Errorf("%s: signed content changed:\n%s\n%s", name, got, orig)
		}
	}
	// A JSON post is pinned by bodySHA256: its bytes are what is signed.
	jc := twilioJSONCase()
	jh, jq := jc.Sign(t, jc.Secrets[0], jc.Body, fuzzNow)
	r := &verify.Request{Header: jh, Body: jc.Body, RawQuery: jq, Now: fuzzNow}
	if err := build(t, jc, jc.Secrets[0]).Verify(r); err != nil || r.Signed != nil {
		t.Fatalf("json post: %v, signed %q", err, r.Signed)
	}
}
