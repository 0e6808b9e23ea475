package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func zoomSign(s verify.Secret, t string, body []byte) http.Header {
	return hdr("x-zm-request-timestamp", t, "x-zm-signature", "v0="+hmacHex(string(s), "v0:", t, ":", string(body)))
}

func zoomCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "zoom"},
		Secrets: [2]verify.Secret{"qgg8vlvZRS6UYooatFL8Aw", "second-secret-token"},
		Wrong:   "wrong-secret-token",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			return zoomSign(s, unixStr(ts), body), ""
		},
		Timestamped: true, Tolerance: 5 * time.Minute,
		SignatureHeaders: []string{"x-zm-signature", "x-zm-request-timestamp"},
		Body:             []byte(`{"event":"meeting.started","event_ts":1750000000123,"payload":{"account_id":"AAAAAAAAAAAAAAAAAAAAAA","object":{"id":"85746065432","uuid":"4444AAAiAAAAAiAiAiiAii==","topic":"Standup"}}}`),
		ReEncode:         reencoded("x-zm-signature", "v0=", hexToB64),
	}
}

// A timestamp in milliseconds is recognised by its size.
func TestZoomMillisecondTimestamp(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	body := zoomCase().Body
	spec := verify.Spec{Type: "zoom", Secrets: []verify.Secret{"k"}}
	h := zoomSign("k", strconv.FormatInt(now.UnixMilli(), 10), body)
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now}, nil)
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: now.Add(6 * time.Minute)}, errTolerance)
}

func TestZoomHandshake(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "zoom", Secrets: []verify.Secret{"first", "second"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`)
	// The validation request is signed like any other, with either secret.
	if err := v.Verify(&verify.Request{Header: zoomSign("second", unixStr(now), body), Body: body, Now: now}); err != nil {
		t.Fatal(err)
	}
	resp, ok := v.(verify.Handshaker).Handshake(&verify.Request{Body: body})
	if !ok {
		t.Fatal("not recognised as a handshake")
	}
	var got map[string]string
	if err := json.Unmarshal(resp, &got); err != nil {
		t.Fatal(err)
	}
	// The first configured secret answers.
	want := hex.EncodeToString(macRaw(sha256.New, []byte("first"), "qgg8vlvZRS6UYooatFL8Aw"))
	if got["plainToken"] != "qgg8vlvZRS6UYooatFL8Aw" || got["encryptedToken"] != want || len(got) != 2 {
		t.Fatalf("Handshake = %s", resp)
	}
	if _, ok := v.(verify.Handshaker).Handshake(&verify.Request{Body: zoomCase().Body}); ok {
		t.Fatal("an ordinary event taken for a handshake")
	}
}
