package verify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func paddleCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "paddle"},
		Secrets: [2]verify.Secret{"pdl_ntfset_01first_aaaaaaaa", "pdl_ntfset_01second_bbbbbbb"},
		Wrong:   "pdl_ntfset_01wrong_ccccccccc",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			t := unixStr(ts)
			return hdr("Paddle-Signature", "ts="+t+";h1="+hmacHex(string(s), t, ":", string(body))), ""
		},
		Timestamped: true, Tolerance: 5 * time.Second, FutureAccepted: true,
		SignatureHeaders: []string{"Paddle-Signature"},
		Body:             []byte(`{"event_id":"evt_01hv8x2acma2gz9s5y6a5rfb6c","event_type":"transaction.completed","occurred_at":"2024-04-12T10:18:49.621022Z","notification_id":"ntf_01hv8x2af4v9kfm3h2ks1m2p4p","data":{"id":"txn_01hv8wptq8987qeep44cyrewp9","status":"completed"}}`),
		ReEncode: func(h http.Header) http.Header {
			v := h.Get("Paddle-Signature")
			i := strings.Index(v, ";h1=") + len(";h1=")
			h.Set("Paddle-Signature", v[:i]+hexToB64(v[i:]))
			return h
		},
	}
}

// The fixture of Paddle's Go SDK (PaddleHQ/paddle-go-sdk,
// example_webhook_verifier_test.go).
func TestPaddleKnownAnswer(t *testing.T) {
	body := []byte(`{"data":{"id":"pri_01hsdn96k2hxjzsq5yerecdj9j","name":null,"status":"active","quantity":{"maximum":999999,"minimum":1},"tax_mode":"account_setting","product_id":"pro_01hsdn8qp7yydry3x1yeg6a9rv","unit_price":{"amount":"1000","currency_code":"USD"},"custom_data":null,"description":"testing","import_meta":null,"trial_period":null,"billing_cycle":{"interval":"month","frequency":1},"unit_price_overrides":[]},"event_id":"evt_01hsdn97563968dy0szkmgjwh3","event_type":"price.created","occurred_at":"2024-03-20T10:07:35.590857Z","notification_id":"ntf_01hsdn977e920kbgzt6r6c9rqc"}`)
	h := hdr("Paddle-Signature", "ts=1710929255;h1=6c05ef8fa83c44d751be6d259ec955ce5638e2c54095bf128e408e2fce1589c8")
	spec := verify.Spec{Type: "paddle", Secrets: []verify.Secret{"pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr"}}
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Unix(1710929255+3, 0)}, nil)
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Unix(1710929255+6, 0)}, errTolerance)
	spec.Tolerance = time.Minute
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Unix(1710929255+59, 0)}, nil)
}

// During a secret rotation Paddle sends one h1 per secret; any may match.
func TestPaddleSeveralH1(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	body := paddleCase().Body
	ts := unixStr(now)
	h := hdr("Paddle-Signature", "ts="+ts+";h1="+hmacHex("old", ts, ":", string(body))+";h1="+hmacHex("new", ts, ":", string(body)))
	mustVerify(t, verify.Spec{Type: "paddle", Secrets: []verify.Secret{"new"}}, &verify.Request{Header: h, Body: body, Now: now}, nil)
	h = hdr("Paddle-Signature", "h1="+hmacHex("new", ts, ":", string(body)))
	mustVerify(t, verify.Spec{Type: "paddle", Secrets: []verify.Secret{"new"}}, &verify.Request{Header: h, Body: body, Now: now}, errInvalid)
}
