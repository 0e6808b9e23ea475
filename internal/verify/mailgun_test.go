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
		ReEncode: func(h http.Header) http.Header {
			h.Set("Signature", hexToB64(h.Get("Signature")))
			return h
		},
	}
}

func TestMailgun(t *testing.T) { verifytest.Run(t, mailgunCase()) }

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

// A token accepted once may come back with the same event (a retry after we
// answered 503: it must pass, dedupe handles it) but not with other event
// data (a replayed signature object: refused).
func TestMailgunTokenReplay(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "mailgun", Secrets: []verify.Secret{"key-signing-1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ts := unixStr(now)
	body := func(id, token string) []byte {
		return []byte(`{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + hmacHex("key-signing-1", ts, token) +
			`"},"event-data":{"id":"` + id + `","event":"delivered"}}`)
	}
	verifyBody := func(b []byte) error { return v.Verify(&verify.Request{Header: http.Header{}, Body: b, Now: now}) }
	if err := verifyBody(body("ev1", "tok-a")); err != nil {
		t.Fatal(err)
	}
	if err := verifyBody(body("ev1", "tok-a")); err != nil {
		t.Fatalf("retry of the same delivery refused: %v", err)
	}
	if err := verifyBody(body("ev-forged", "tok-a")); err == nil {
		t.Fatal("token replayed with other event data was accepted")
	}
	if err := verifyBody(body("ev2", "tok-b")); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
}
