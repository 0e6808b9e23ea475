package verify_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"hash/crc32"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

const paypalCertURL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-hookqtest"

// paypalHeaders signs body as PayPal documents: RSA SHA-256 over
// "<transmission id>|<time>|<webhook id>|<CRC32 of the body, decimal>".
func paypalHeaders(tb testing.TB, webhookID string, body []byte, ts time.Time, extra ...string) http.Header {
	tb.Helper()
	f := snsFixture(tb)
	id, t := "69cd13f0-d67a-11e5-baa3-778b53f4ae55", ts.UTC().Format(time.RFC3339)
	d := sha256.Sum256([]byte(id + "|" + t + "|" + webhookID + "|" + strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	h := hdr("PAYPAL-TRANSMISSION-ID", id, "PAYPAL-TRANSMISSION-TIME", t, "PAYPAL-TRANSMISSION-SIG", base64.StdEncoding.EncodeToString(sig),
		"PAYPAL-CERT-URL", paypalCertURL, "PAYPAL-AUTH-ALGO", "SHA256withRSA")
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

// paypalCase: the webhook IDs play the secrets (a delivery for another
// webhook is refused like a wrong key).
func paypalCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "paypal"},
		Secrets: [2]verify.Secret{"1JE4291016473214C", "2KF5302127584325D"},
		Wrong:   "9XX0000000000000Z",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			return paypalHeaders(tb, string(s), body, ts), ""
		},
		SignatureHeaders: []string{"Paypal-Transmission-Sig", "Paypal-Transmission-Id", "Paypal-Transmission-Time", "Paypal-Cert-Url"},
		Body:             []byte(`{"id":"WH-2WR32451HC0233532-67976317FL4543714","event_type":"PAYMENT.SALE.COMPLETED","resource":{"id":"80021663DE681814L"}}`),
	}
}

func TestPayPalDeliveries(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	body := paypalCase().Body
	const wid = "1JE4291016473214C"
	for name, tc := range map[string]struct {
		h    http.Header
		tol  time.Duration
		want error
	}{
		"OK":               {paypalHeaders(t, wid, body, now), 0, nil},
		"NoAlgoHeader":     {paypalHeaders(t, wid, body, now, "PAYPAL-AUTH-ALGO", ""), 0, nil},
		"OtherAlgo":        {paypalHeaders(t, wid, body, now, "PAYPAL-AUTH-ALGO", "SHA1withRSA"), 0, errInvalid},
		"CertOffAllowList": {paypalHeaders(t, wid, body, now, "PAYPAL-CERT-URL", "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-hookqtest"), 0, errInvalid},
		"CertOnSNSHost":    {paypalHeaders(t, wid, body, now, "PAYPAL-CERT-URL", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookqtest.pem"), 0, errInvalid},
		"CertHTTP":         {paypalHeaders(t, wid, body, now, "PAYPAL-CERT-URL", "http://api.sandbox.paypal.com/v1/notifications/certs/CERT-hookqtest"), 0, errInvalid},
		"WithinTolerance":  {paypalHeaders(t, wid, body, now.Add(-time.Minute)), 5 * time.Minute, nil},
		"OutsideTolerance": {paypalHeaders(t, wid, body, now.Add(-time.Hour)), 5 * time.Minute, errTolerance},
		"OtherWebhook":     {paypalHeaders(t, "OTHERWEBHOOKID", body, now), 0, errInvalid},
		"SignatureNotB64":  {paypalHeaders(t, wid, body, now, "PAYPAL-TRANSMISSION-SIG", "not base64!"), 0, errInvalid},
		"NoTransmissionID": {paypalHeaders(t, wid, body, now, "PAYPAL-TRANSMISSION-ID", ""), 0, errMissing},
	} {
		t.Run(name, func(t *testing.T) {
			mustVerify(t, verify.Spec{Type: "paypal", Secrets: []verify.Secret{wid}, Tolerance: tc.tol}, &verify.Request{Header: tc.h, Body: body, Now: now}, tc.want)
		})
	}
}

// CRC32 is forgeable: a body with the genuine one's CRC32 verifies, so the
// verifier binds the transmission to its body through Request.Token, which
// ingest holds in Redis and refuses with any other body.
func TestPayPalBindsTransmission(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	body := paypalCase().Body
	v, err := verify.New(verify.Spec{Type: "paypal", Secrets: []verify.Secret{"1JE4291016473214C"}})
	if err != nil {
		t.Fatal(err)
	}
	r := &verify.Request{Header: paypalHeaders(t, "1JE4291016473214C", body, now), Body: body, Now: now}
	if err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if r.Token != "paypal:69cd13f0-d67a-11e5-baa3-778b53f4ae55" || r.TokenTTL < 72*time.Hour {
		t.Fatalf("Token %q TTL %v: the transmission is not bound to its body", r.Token, r.TokenTTL)
	}
}

func FuzzPayPal(f *testing.F) { snsFixture(f); fuzzCase(f, paypalCase()) }
