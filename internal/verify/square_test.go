package verify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

const squareURL = "https://hooks.example.com/webhooks/square"

func squareCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "square", URL: squareURL},
		Secrets: [2]verify.Secret{"Ibxx_5AKakO-3qeNVR61Dw", "second-signature-key"},
		Wrong:   "wrong-signature-key",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			return hdr("x-square-hmacsha256-signature", sha256B64(string(s), squareURL, string(body))), ""
		},
		SignatureHeaders: []string{"x-square-hmacsha256-signature"},
		Body:             []byte(`{"merchant_id":"MLEFBHHSJGVHD","type":"payment.updated","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"payment","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`),
		EmptyBodyInvalid: true,
		ReEncode:         reencoded("x-square-hmacsha256-signature", "", b64ToHex),
	}
}

// Fixtures shared by Square's SDKs (square-go-sdk, square-nodejs-sdk,
// square-python-sdk …: webhooks helper tests).
func TestSquareKnownAnswer(t *testing.T) {
	for name, tc := range map[string]struct{ url, key, body, sig string }{
		"TestNotification": {"https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9", "Ibxx_5AKakO-3qeNVR61Dw",
			`{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`,
			"GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="},
		"UnescapedChars": {"https://webhook.site/webhooks", "signature-key", `{"data":{"type":"webhooks","id":"fake_id"}}`,
			"W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="},
		"EscapedChars": {"https://webhook.site/webhooks", "signature-key", `{"data":{"type":"webhooks","id":">id<"}}`,
			"Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="},
	} {
		t.Run(name, func(t *testing.T) {
			spec := verify.Spec{Type: "square", URL: tc.url, Secrets: []verify.Secret{verify.Secret(tc.key)}}
			h := hdr("x-square-hmacsha256-signature", tc.sig)
			mustVerify(t, spec, &verify.Request{Header: h, Body: []byte(tc.body)}, nil)
			spec.URL += "/"
			mustVerify(t, spec, &verify.Request{Header: h, Body: []byte(tc.body)}, errInvalid)
		})
	}
}

// The request's query string replaces the configured one; the configured
// one is used when the request has none.
func TestSquareQuery(t *testing.T) {
	body := squareCase().Body
	signed := "https://hooks.example.com/sq?tenant=7"
	h := hdr("x-square-hmacsha256-signature", sha256B64("k", signed, string(body)))
	for name, tc := range map[string]struct {
		url, rawQuery string
		want          error
	}{
		"ConfiguredQuery":      {signed, "", nil},
		"RequestQuery":         {"https://hooks.example.com/sq", "tenant=7", nil},
		"RequestQueryReplaces": {"https://hooks.example.com/sq?tenant=1", "tenant=7", nil},
		"OtherQuery":           {"https://hooks.example.com/sq", "tenant=8", errInvalid},
		"Fragment":             {signed + "#x", "", nil},
	} {
		t.Run(name, func(t *testing.T) {
			spec := verify.Spec{Type: "square", URL: tc.url, Secrets: []verify.Secret{"k"}}
			mustVerify(t, spec, &verify.Request{Header: h, Body: body, RawQuery: tc.rawQuery}, tc.want)
		})
	}
}

func TestSquareBadURL(t *testing.T) {
	for _, u := range []string{"", "/webhooks/square", "ftp://x/y", "https://", "://x"} {
		if _, err := verify.New(verify.Spec{Type: "square", URL: u, Secrets: []verify.Secret{"k"}}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
}
