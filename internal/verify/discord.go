package verify

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// discord verifies interaction webhooks: X-Signature-Ed25519 is the hex
// Ed25519 signature of X-Signature-Timestamp + body under the application's
// public key (secrets are the hex public keys). Discord documents no
// timestamp window and its libraries check none, so by default none is
// enforced; a Tolerance turns on a check in both directions.
//
// Discord probes the endpoint with a signed PING (type 1), answered by
// Handshake with a PONG.
type discord struct {
	keys []ed25519.PublicKey
	tol  time.Duration
}

func newDiscord(s Spec) (Verifier, error) {
	v := &discord{tol: s.Tolerance}
	for i, sec := range s.Secrets {
		b, err := hex.DecodeString(string(sec))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("discord: secret %d: want the application's public key, 64 hex digits", i)
		}
		v.keys = append(v.keys, ed25519.PublicKey(b))
	}
	return v, nil
}

func (v *discord) Verify(r *Request) error {
	h, ts := r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp")
	if h == "" {
		return missing("discord", "no X-Signature-Ed25519 header")
	}
	if ts == "" {
		return missing("discord", "no X-Signature-Timestamp header")
	}
	sig, ok := decodeHex(h)
	if !ok || len(sig) != ed25519.SignatureSize {
		return invalid("discord", "malformed signature")
	}
	msg := make([]byte, 0, len(ts)+len(r.Body))
	msg = append(append(msg, ts...), r.Body...)
	match := false
	for _, k := range v.keys {
		if ed25519.Verify(k, msg, sig) {
			match = true
		}
	}
	if !match {
		return invalid("discord", "signature does not match")
	}
	if v.tol > 0 {
		n, ok := parseInt(ts)
		if !ok {
			return invalid("discord", "malformed timestamp")
		}
		return checkAge(time.Unix(n, 0), r.Now, v.tol, false)
	}
	return nil
}

// Handshake answers a PING (body type 1) with {"type":1}.
func (v *discord) Handshake(r *Request) ([]byte, bool) {
	var b struct {
		Type json.RawMessage `json:"type"`
	}
	if json.Unmarshal(r.Body, &b) != nil || string(b.Type) != "1" {
		return nil, false
	}
	return []byte(`{"type":1}`), true
}
