package verify

import (
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"time"
)

// mailgun verifies Mailgun's JSON webhooks, whose signature travels inside
// the body: {"signature": {"timestamp", "token", "signature"}, "event-data": …}
// where signature is hex HMAC-SHA256(webhook signing key, timestamp + token).
// On subaccount events a "parent-signature" made with the parent account's
// key is accepted too, so the parent's key may be configured instead.
//
// The signature covers neither the event data nor the rest of the body, so
// within the tolerance a captured signature object can be replayed with
// other event data; keep the window short. Mailgun warns that its deliveries
// can be delayed, so the default is 15 minutes, in either direction.
// Mailgun's advice to refuse a token seen before needs state and is left to
// the caller (dedupe on event-data.id absorbs plain replays). Legacy
// form-encoded webhooks are not supported.
type mailgun struct {
	keys [][]byte
	tol  time.Duration
}

func newMailgun(s Spec) (Verifier, error) {
	return &mailgun{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 15*time.Minute)}, nil
}

func (v *mailgun) Verify(r *Request) error {
	var b struct {
		Signature *struct {
			Timestamp json.RawMessage `json:"timestamp"` // a string, or a number in some payloads
			Token     string          `json:"token"`
			Signature string          `json:"signature"`
			Parent    string          `json:"parent-signature"`
		} `json:"signature"`
	}
	if json.Unmarshal(r.Body, &b) != nil || b.Signature == nil || b.Signature.Signature == "" {
		return missing("mailgun", "no signature object in the body")
	}
	s := b.Signature
	ts := string(s.Timestamp)
	if uq, err := strconv.Unquote(ts); err == nil {
		ts = uq
	}
	if ts == "" || ts == "null" || s.Token == "" {
		return missing("mailgun", "signature object lacks timestamp or token")
	}
	match := false
	for _, h := range []string{s.Signature, s.Parent} {
		if sig, ok := decodeHex(h); ok && anyMAC(sha256.New, v.keys, sig, []byte(ts), []byte(s.Token)) {
			match = true
		}
	}
	if !match {
		return invalid("mailgun", "signature does not match")
	}
	n, ok := parseInt(ts)
	if !ok {
		return invalid("mailgun", "malformed timestamp")
	}
	return checkAge(time.Unix(n, 0), r.Now, v.tol, false)
}
