package verify_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

// linearEmbed writes the pseudo-header Webhook-Timestamp (ms) into the body
// as its first member, webhookTimestamp, where Linear sends it.
func linearEmbed(h http.Header, body []byte) (http.Header, []byte) {
	ts := h.Get("Webhook-Timestamp")
	h = h.Clone()
	h.Del("Webhook-Timestamp")
	if ts == "" || len(body) < 2 || body[0] != '{' {
		return h, body
	}
	return h, []byte(`{"webhookTimestamp":` + ts + `,` + string(body[1:]))
}

func linearCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "linear"},
		Secrets: [2]verify.Secret{"lin_wh_first", "lin_wh_second"},
		Wrong:   "lin_wh_wrong",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			h := hdr("Webhook-Timestamp", strconv.FormatInt(ts.UnixMilli(), 10))
			_, full := linearEmbed(h, body)
			h.Set("Linear-Signature", hmacHex(string(s), string(full)))
			return h, ""
		},
		Embed:       linearEmbed,
		Timestamped: true, Tolerance: 60 * time.Second,
		SignatureHeaders: []string{"Linear-Signature"},
		Body:             []byte(`{"action":"create","type":"Issue","createdAt":"2025-06-15T14:53:20.000Z","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","title":"Bug"},"url":"https://linear.app/x/issue/ENG-1","organizationId":"org","webhookId":"wh"}`),
		EmptyBodyInvalid: true,
		ReEncode:         reencoded("Linear-Signature", "", hexToB64),
	}
}

func TestLinearTimestampInBody(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	spec := verify.Spec{Type: "linear", Secrets: []verify.Secret{"k"}}
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"OK":          {`{"webhookTimestamp":1750000000000,"type":"Issue"}`, nil},
		"Missing":     {`{"type":"Issue"}`, errInvalid},
		"Seconds":     {`{"webhookTimestamp":1750000000}`, errTolerance},
		"String":      {`{"webhookTimestamp":"1750000000000"}`, errInvalid},
		"Negative":    {`{"webhookTimestamp":-1}`, errInvalid},
		"Fraction":    {`{"webhookTimestamp":1750000000000.5}`, errInvalid},
		"NotAnObject": {`[1750000000000]`, errInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			h := hdr("Linear-Signature", hmacHex("k", tc.body))
			mustVerify(t, spec, &verify.Request{Header: h, Body: []byte(tc.body), Now: now}, tc.want)
		})
	}
}
