package verify

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"
)

// slack verifies Slack's v0 scheme: X-Slack-Signature: v0=<hex> of
// HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + body).
// Slack's SDKs refuse a timestamp more than 5 minutes away in either
// direction; so does this (Tolerance overrides the 5m).
//
// Slack also probes a new Events API URL with a signed url_verification
// request, answered by Handshake.
type slack struct{ v0 v0Scheme }

func newSlack(s Spec) (Verifier, error) {
	return &slack{v0: v0Scheme{name: "slack", sigHdr: "X-Slack-Signature", tsHdr: "X-Slack-Request-Timestamp",
		keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 5*time.Minute)}}, nil
}

func (v *slack) Verify(r *Request) error { return v.v0.verify(r) }

// Handshake answers url_verification with {"challenge": …}.
func (v *slack) Handshake(r *Request) ([]byte, bool) {
	var b struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(r.Body, &b) != nil || b.Type != "url_verification" {
		return nil, false
	}
	resp, _ := json.Marshal(struct {
		Challenge string `json:"challenge"`
	}{b.Challenge})
	return resp, true
}

// v0Scheme is the scheme Slack and Zoom share: a "v0=<hex>" signature
// header and a Unix-seconds timestamp header, signed as
// "v0:" + timestamp + ":" + body with HMAC-SHA256. The signature is checked
// first; then the timestamp must be within tol in either direction.
type v0Scheme struct {
	name, sigHdr, tsHdr string
	keys                [][]byte
	tol                 time.Duration
	msOK                bool // accept a millisecond timestamp too (Zoom)
}

func (v *v0Scheme) verify(r *Request) error {
	h, ts := r.Header.Get(v.sigHdr), r.Header.Get(v.tsHdr)
	if h == "" {
		return missing(v.name, "no "+v.sigHdr+" header")
	}
	if ts == "" {
		return missing(v.name, "no "+v.tsHdr+" header")
	}
	hexSig, ok := strings.CutPrefix(h, "v0=")
	if !ok {
		return invalid(v.name, "signature lacks v0= prefix")
	}
	sig, ok := decodeHex(hexSig)
	if !ok || !anyMAC(sha256.New, v.keys, sig, []byte("v0:"), []byte(ts), []byte(":"), r.Body) {
		return invalid(v.name, "signature does not match")
	}
	n, ok := parseInt(ts)
	if !ok {
		return invalid(v.name, "malformed timestamp")
	}
	t := time.Unix(n, 0)
	if v.msOK && n >= 1e11 { // 1e11 s is year 5138; 1e11 ms is 1973
		t = time.UnixMilli(n)
	}
	return checkAge(t, r.Now, v.tol, false)
}
