package verify_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

// mailgunEmbed moves the pseudo-headers Timestamp, Token and Signature into
// the body's "signature" object, where Mailgun sends them.
func mailgunEmbed(h http.Header, body []byte) (http.Header, []byte) {
	sig := map[string]string{}
	for _, k := range []string{"Timestamp", "Token", "Signature", "Parent-Signature"} {
		if v := h.Values(k); len(v) > 0 {
			sig[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	m := map[string]json.RawMessage{}
	if len(body) > 0 && json.Unmarshal(body, &m) != nil {
		return http.Header{}, body
	}
	if len(sig) > 0 {
		obj := map[string]string{}
		for k, v := range sig {
			switch k {
			case "Timestamp":
				obj["timestamp"] = v
			case "Token":
				obj["token"] = v
			case "Signature":
				obj["signature"] = v
			case "Parent-Signature":
				obj["parent-signature"] = v
			}
		}
		m["signature"], _ = json.Marshal(obj)
	}
	out, _ := json.Marshal(m)
	return http.Header{}, out
}

func mailgunCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "mailgun"},
		Secrets: [2]verify.Secret{"key-signing-1", "key-signing-2"},
		Wrong:   "key-signing-x",
		Sign: func(tb testing.TB, s verify.Secret, _ []byte, ts time.Time) (http.Header, string) {
			t, token := unixStr(ts), "e0b5477167110d68991efc6b9f89f0a11066af27834600e123"
			return hdr("Timestamp", t, "Token", token, "Signature", hmacHex(string(s), t, token)), ""
		},
		Embed:       mailgunEmbed,
		Timestamped: true, Tolerance: 15 * time.Minute,
		SignatureHeaders: []string{"Signature", "Timestamp", "Token"},
		// The signature covers only its timestamp and token.
		BodyNotSigned: true,
		Body:          []byte(`{"event-data":{"id":"CPgfbmQMTCKtHW6uIWtuVe","event":"delivered","timestamp":1521472262.908181,"recipient":"alice@example.com"}}`),
		ReEncode:      reencoded("Signature", "", hexToB64),
	}
}

func TestMailgunBodies(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	ts, token := unixStr(now), "tok123"
	good, parent := hmacHex("sub-key", ts, token), hmacHex("parent-key", ts, token)
	spec := verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"parent-key"}}
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"ParentSignature":  {`{"signature":{"timestamp":"` + ts + `","token":"tok123","signature":"` + good + `","parent-signature":"` + parent + `"},"event-data":{}}`, nil},
		"NumericTimestamp": {`{"signature":{"timestamp":` + ts + `,"token":"tok123","signature":"` + parent + `"}}`, nil},
		"SubKeyOnly":       {`{"signature":{"timestamp":"` + ts + `","token":"tok123","signature":"` + good + `"}}`, errInvalid},
		"NoSignature":      {`{"event-data":{"id":"x"}}`, errMissing},
		"NotJSON":          {`timestamp=` + ts + `&token=tok123&signature=` + parent, errMissing},
		"SignatureNotObj":  {`{"signature":"` + parent + `"}`, errMissing},
		"NullTimestamp":    {`{"signature":{"timestamp":null,"token":"tok123","signature":"` + parent + `"}}`, errMissing},
		"FloatTimestamp":   {`{"signature":{"timestamp":1.75e9,"token":"tok123","signature":"` + hmacHex("parent-key", "1.75e9", token) + `"}}`, errInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			mustVerify(t, spec, &verify.Request{Body: []byte(tc.body), Now: now}, tc.want)
		})
	}
}

// Verify hands the token on for binding to the body, and reads the
// signature object with one strict parser: a signature key given twice or in
// two letter cases is refused, whatever the parsers downstream would pick.
func TestMailgunToken(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	ts := unixStr(now)
	sig := hmacHex("key-signing-1", ts, "tok-a")
	spec := verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"key-signing-1"}}
	v, err := verify.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := &verify.Request{Body: []byte(`{"signature":{"timestamp":"` + ts + `","token":"tok-a","signature":"` + sig + `"},"event-data":{"id":"e"}}`), Now: now}
	if err := v.Verify(r); err != nil || r.Token != "tok-a" || r.TokenTTL != 30*time.Minute {
		t.Fatalf("err %v, token %q ttl %v; want tok-a for 30m", err, r.Token, r.TokenTTL)
	}
	for name, body := range map[string]string{
		"ErrDuplicateToken":   `{"signature":{"timestamp":"` + ts + `","token":"tok-a","token":"tok-b","signature":"` + sig + `"}}`,
		"ErrCaseVariantSig":   `{"signature":{"timestamp":"` + ts + `","token":"tok-a","signature":"` + sig + `"},"SIGNATURE":{}}`,
		"ErrTokenNotString":   `{"signature":{"timestamp":"` + ts + `","token":["tok-a"],"signature":"` + sig + `"}}`,
		"ErrInvalidJSONAfter": `{"signature":{"timestamp":"` + ts + `","token":"tok-a","signature":"` + sig + `"}} x`,
	} {
		t.Run(name, func(t *testing.T) {
			mustVerify(t, spec, &verify.Request{Body: []byte(body), Now: now}, errMissing)
		})
	}
}

// Legacy webhooks and route forwards post form fields, signed the same way.
func TestMailgunLegacyForm(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	ts := unixStr(now)
	sig := hmacHex("key-signing-1", ts, "tok-f")
	spec := verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"key-signing-1"}, BodyFormat: verify.FormatForm}
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"OK":                {"event=delivered&Message-Id=%3Cm1%40x%3E&timestamp=" + ts + "&token=tok-f&signature=" + sig, nil},
		"ErrWrongKey":       {"event=delivered&timestamp=" + ts + "&token=tok-f&signature=" + hmacHex("other", ts, "tok-f"), errInvalid},
		"ErrNoSignature":    {"event=delivered&timestamp=" + ts + "&token=tok-f", errMissing},
		"ErrRepeatedToken":  {"timestamp=" + ts + "&token=tok-f&token=tok-g&signature=" + sig, errMissing},
		"ErrNotForm":        {"timestamp=" + ts + "&token=tok-f;x&signature=" + sig, errMissing},
		"ErrExpired":        {"timestamp=1000&token=tok-f&signature=" + hmacHex("key-signing-1", "1000", "tok-f"), errTolerance},
		"JSONBodyIsNotRead": {`{"signature":{"timestamp":"` + ts + `","token":"tok-f","signature":"` + sig + `"}}`, errMissing},
	} {
		t.Run(name, func(t *testing.T) {
			mustVerify(t, spec, &verify.Request{Body: []byte(tc.body), Now: now}, tc.want)
		})
	}
	// The JSON source does not read form bodies either.
	mustVerify(t, verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"key-signing-1"}},
		&verify.Request{Body: []byte("timestamp=" + ts + "&token=tok-f&signature=" + sig), Now: now}, errMissing)
}

func mailgunFormCase() verifytest.Case {
	c := mailgunCase()
	c.Spec.BodyFormat = verify.FormatForm
	c.Embed = mailgunFormEmbed
	c.Body = []byte("event=delivered&recipient=alice%40example.com")
	return c
}

func TestMailgunForm(t *testing.T) { verifytest.Run(t, mailgunFormCase()) }
