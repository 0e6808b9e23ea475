package verify_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func whsec(raw string) verify.Secret {
	return verify.Secret("whsec_" + base64.StdEncoding.EncodeToString([]byte(raw)))
}

func whpk(k ed25519.PrivateKey) verify.Secret {
	return verify.Secret("whpk_" + base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)))
}

// swSign signs like the Standard Webhooks libraries: v1 for whsec_, v1a for
// whpk_ (looking the private key up in priv), preceded by an unknown version
// that must be skipped.
func swSign(prefix string, priv map[verify.Secret]ed25519.PrivateKey) func(testing.TB, verify.Secret, []byte, time.Time) (http.Header, string) {
	return func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
		id, t := "msg_2Lh9KRb0pzN4LePd3XiA", unixStr(ts)
		var sig string
		if k, ok := priv[s]; ok {
			sig = "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(k, []byte(id+"."+t+"."+string(body))))
		} else {
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(s), "whsec_"))
			if err != nil {
				tb.Fatal(err)
			}
			sig = "v1," + base64.StdEncoding.EncodeToString(macRaw(sha256.New, key, id, ".", t, ".", string(body)))
		}
		h := http.Header{}
		h.Set(prefix+"id", id)
		h.Set(prefix+"timestamp", t)
		h.Set(prefix+"signature", "v9,bm90LWEtc2ln  "+sig)
		return h, ""
	}
}

func swCase(typ, prefix string) verifytest.Case {
	return verifytest.Case{
		Spec:        verify.Spec{Type: typ},
		Secrets:     [2]verify.Secret{whsec("first key, 32 bytes of entropy!!"), whsec("second key")},
		Wrong:       whsec("wrong key"),
		Sign:        swSign(prefix, nil),
		Timestamped: true, Tolerance: 5 * time.Minute,
		SignatureHeaders: []string{prefix + "signature", prefix + "id", prefix + "timestamp"},
		Body:             sampleBody,
		ReEncode: func(h http.Header) http.Header {
			v := h.Get(prefix + "signature")
			i := strings.LastIndex(v, ",")
			h.Set(prefix+"signature", v[:i+1]+b64ToHex(v[i+1:]))
			return h
		},
	}
}

func TestStandardWebhooksEd25519(t *testing.T) {
	k1, k2, kw := edKey(1), edKey(2), edKey(3)
	priv := map[verify.Secret]ed25519.PrivateKey{whpk(k1): k1, whpk(k2): k2, whpk(kw): kw}
	verifytest.Run(t, verifytest.Case{
		Spec:        verify.Spec{Type: "standardwebhooks"},
		Secrets:     [2]verify.Secret{whpk(k1), whpk(k2)},
		Wrong:       whpk(kw),
		Sign:        swSign("webhook-", priv),
		Timestamped: true, Tolerance: 5 * time.Minute,
		SignatureHeaders: []string{"webhook-signature", "webhook-id", "webhook-timestamp"},
		Body:             sampleBody,
	})
}

// Vectors from the Standard Webhooks Go library's tests
// (standard-webhooks/standard-webhooks libraries/go/webhook_test.go and
// webhook_asymmetric_test.go, TestWebhookSign / TestAsymmetricWebhookSign).
func TestStandardWebhooksKnownAnswer(t *testing.T) {
	body := []byte(`{"test": 2432232314}`)
	now := time.Unix(1614265330, 0)
	seed, _ := base64.StdEncoding.DecodeString("VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	for name, tc := range map[string]struct {
		secret verify.Secret
		sig    string
	}{
		"V1":  {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		"V1a": {verify.Secret("whpk_" + base64.StdEncoding.EncodeToString(pub)), "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="},
		// The libraries accept the secret without its prefix.
		"V1BareSecret": {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	} {
		t.Run(name, func(t *testing.T) {
			h := hdr("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp", "1614265330", "webhook-signature", tc.sig)
			spec := verify.Spec{Type: "standardwebhooks", Secrets: []verify.Secret{tc.secret}}
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now}, nil)
			// The library's multi-signature case: the valid one among others.
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "+tc.sig)
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now}, nil)
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now}, errInvalid)
			h.Set("webhook-signature", tc.sig)
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now.Add(5*time.Minute + time.Second)}, errTolerance)
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now.Add(-5*time.Minute - time.Second)}, errTolerance)
		})
	}
}

// A v1a signature is never checked against an HMAC key, nor v1 against a
// public key, and a version label is not a prefix match.
func TestStandardWebhooksVersions(t *testing.T) {
	k := edKey(9)
	now := time.Unix(1_750_000_000, 0)
	secret := whsec("k")
	h, _ := swSign("webhook-", nil)(t, secret, sampleBody, now)
	v1 := strings.Fields(h.Get("webhook-signature"))[1]
	for _, bad := range []string{"v1a," + v1[3:], "v10," + v1[3:], "V1," + v1[3:], "v1 ," + v1[3:]} {
		h.Set("webhook-signature", bad)
		mustVerify(t, verify.Spec{Type: "standardwebhooks", Secrets: []verify.Secret{secret, whpk(k)}},
			&verify.Request{Header: h, Body: sampleBody, Now: now}, errInvalid)
	}
}

func TestStandardWebhooksBadSecrets(t *testing.T) {
	for name, s := range map[string]verify.Secret{
		"NotBase64":    "whsec_%%%notbase64",
		"ShortPubKey":  "whpk_" + verify.Secret(base64.StdEncoding.EncodeToString([]byte("short"))),
		"PrivateKey":   "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=",
		"EmptyDecoded": "whsec_",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := verify.New(verify.Spec{Type: "standardwebhooks", Secrets: []verify.Secret{s}})
			if err == nil {
				t.Fatal("want error")
			}
			if strings.Contains(err.Error(), string(s)[5:]) && len(s) > 6 {
				t.Fatalf("error reveals the secret: %v", err)
			}
		})
	}
}
