package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// zoom verifies x-zm-signature: v0=<hex> of HMAC-SHA256(secret token,
// "v0:" + x-zm-request-timestamp + ":" + body). Zoom documents no window;
// like Slack's scheme, a timestamp more than Tolerance (default 5m) away in
// either direction is refused. The timestamp is Unix seconds; a value in
// milliseconds is recognised by its size.
//
// Zoom validates the endpoint (on creation and every 72 hours) with a signed
// endpoint.url_validation request, answered by Handshake.
type zoom struct {
	v0  v0Scheme
	key []byte // the first secret answers the handshake
}

func newZoom(s Spec) (Verifier, error) {
	keys := secretBytes(s.Secrets)
	return &zoom{key: keys[0], v0: v0Scheme{name: "zoom", sigHdr: "X-Zm-Signature", tsHdr: "X-Zm-Request-Timestamp",
		keys: keys, tol: orDefault(s.Tolerance, 5*time.Minute), msOK: true}}, nil
}

func (v *zoom) Verify(r *Request) error { return v.v0.verify(r) }

// Handshake answers endpoint.url_validation with
// {"plainToken": …, "encryptedToken": hex(HMAC-SHA256(secret, plainToken))}.
// With several secrets configured, the first one answers.
func (v *zoom) Handshake(r *Request) ([]byte, bool) {
	var b struct {
		Event   string `json:"event"`
		Payload struct {
			PlainToken string `json:"plainToken"`
		} `json:"payload"`
	}
	if json.Unmarshal(r.Body, &b) != nil || b.Event != "endpoint.url_validation" || b.Payload.PlainToken == "" {
		return nil, false
	}
	resp, _ := json.Marshal(struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{b.Payload.PlainToken, hex.EncodeToString(mac(sha256.New, v.key, []byte(b.Payload.PlainToken)))})
	return resp, true
}
