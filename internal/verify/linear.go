package verify

import (
	"crypto/sha256"
	"encoding/json"
	"time"
)

// linear verifies Linear-Signature: bare hex HMAC-SHA256 of the body keyed
// with the webhook's signing secret. The timestamp is inside the signed
// body, webhookTimestamp in Unix milliseconds; as in Linear's SDK it must be
// within 60s (Tolerance overrides) of now in either direction. A body
// without it is not a Linear delivery and is refused as invalid.
type linear struct {
	keys [][]byte
	tol  time.Duration
}

func newLinear(s Spec) (Verifier, error) {
	return &linear{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 60*time.Second)}, nil
}

func (v *linear) Verify(r *Request) error {
	h := r.Header.Get("Linear-Signature")
	if h == "" {
		return missing("linear", "no Linear-Signature header")
	}
	sig, ok := decodeHex(h)
	if !ok || !anyMAC(sha256.New, v.keys, sig, r.Body) {
		return invalid("linear", "signature does not match")
	}
	var b struct {
		WebhookTimestamp json.RawMessage `json:"webhookTimestamp"` // a JSON number
	}
	if json.Unmarshal(r.Body, &b) != nil {
		return invalid("linear", "body is not a JSON object with webhookTimestamp")
	}
	ms, ok := parseInt(string(b.WebhookTimestamp))
	if !ok {
		return invalid("linear", "missing or malformed webhookTimestamp")
	}
	return checkAge(time.UnixMilli(ms), r.Now, v.tol, false)
}
