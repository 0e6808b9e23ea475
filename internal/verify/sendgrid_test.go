package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func ecKey() (*ecdsa.PrivateKey, verify.Secret) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return k, verify.Secret(base64.StdEncoding.EncodeToString(der))
}

// sendgridCase checks the default (no timestamp window) when tol is zero,
// and a configured window otherwise.
func sendgridCase(tol time.Duration) verifytest.Case {
	priv := map[verify.Secret]*ecdsa.PrivateKey{}
	var pubs [3]verify.Secret
	for i := range pubs {
		var k *ecdsa.PrivateKey
		k, pubs[i] = ecKey()
		priv[pubs[i]] = k
	}
	return verifytest.Case{
		Spec:    verify.Spec{Type: "sendgrid", Tolerance: tol},
		Secrets: [2]verify.Secret{pubs[0], pubs[1]},
		Wrong:   pubs[2],
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			t := unixStr(ts)
			d := sha256.Sum256(append([]byte(t), body...))
			sig, err := ecdsa.SignASN1(rand.Reader, priv[s], d[:])
			if err != nil {
				tb.Fatal(err)
			}
			return hdr("X-Twilio-Email-Event-Webhook-Timestamp", t,
				"X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig)), ""
		},
		Timestamped: tol > 0, Tolerance: tol,
		SignatureHeaders: []string{"X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"},
		Body:             []byte("[{\"email\":\"example@test.com\",\"timestamp\":1513299569,\"smtp-id\":\"<14c5d75ce93.dfd.64b469@ismtpd-555>\",\"event\":\"delivered\",\"category\":\"cat facts\",\"sg_event_id\":\"sg_event_id\",\"sg_message_id\":\"sg_message_id\"}]\r\n"),
		ReEncode:         reencoded("X-Twilio-Email-Event-Webhook-Signature", "", b64ToHex),
	}
}

func TestSendGridTolerance(t *testing.T) { verifytest.Run(t, sendgridCase(5*time.Minute)) }

const sendgridFixtureKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="

// The fixture of SendGrid's Go library (sendgrid/sendgrid-go,
// helpers/eventwebhook/eventwebhook_test.go): the payload is json.Marshal
// of {"event":"test_event","category":"example_payload","message_id":"message_id"}.
func TestSendGridKnownAnswer(t *testing.T) {
	body := []byte(`{"category":"example_payload","event":"test_event","message_id":"message_id"}`)
	h := hdr("X-Twilio-Email-Event-Webhook-Timestamp", "1588788367",
		"X-Twilio-Email-Event-Webhook-Signature", "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=")
	spec := verify.Spec{Type: "sendgrid", Secrets: []verify.Secret{sendgridFixtureKey}}
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Now()}, nil)
	mustVerify(t, spec, &verify.Request{Header: h, Body: []byte("this is not valid payload for the given signature"), Now: time.Now()}, errInvalid)
	h2 := h.Clone()
	h2.Set("X-Twilio-Email-Event-Webhook-Timestamp", "invalid timestamp")
	mustVerify(t, spec, &verify.Request{Header: h2, Body: body, Now: time.Now()}, errInvalid)
	// A PEM spelling of the same key works too.
	der, _ := base64.StdEncoding.DecodeString(sendgridFixtureKey)
	spec.Secrets = []verify.Secret{verify.Secret(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Now()}, nil)
	// With a tolerance, the fixture's 2020 timestamp is too old.
	spec.Tolerance = time.Hour
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Now()}, errTolerance)
}

func TestSendGridBadKey(t *testing.T) {
	rsaLike := base64.StdEncoding.EncodeToString([]byte("not a key"))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der384, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for name, k := range map[string]string{
		"NotBase64": "%%%",
		"NotDER":    rsaLike,
		"P384":      base64.StdEncoding.EncodeToString(der384),
		"Corrupted": sendgridFixtureKey + "corrupting the public key",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := verify.New(verify.Spec{Type: "sendgrid", Secrets: []verify.Secret{verify.Secret(k)}}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
