package verify

import (
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"sync"
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
// Following Mailgun's advice to refuse a token seen before, each process
// remembers the tokens it accepted within the tolerance, with the event id
// they came with: the same token with other event data is a replay and is
// refused, while the same delivery retried (same token, same event) passes
// on to dedupe, so a retry after a 503 is never lost. The memory is per
// process: replicas of ingest do not share it. Legacy form-encoded webhooks
// are not supported.
type mailgun struct {
	keys [][]byte
	tol  time.Duration

	mu     sync.Mutex
	tokens map[string]seenToken
}

type seenToken struct {
	eventID string
	expires time.Time
}

// maxTokens bounds the replay memory; past it, expired tokens are dropped
// and, if still full, the oldest half goes (a replay of those is then only
// caught by dedupe).
const maxTokens = 200_000

func newMailgun(s Spec) (Verifier, error) {
	return &mailgun{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 15*time.Minute), tokens: map[string]seenToken{}}, nil
}

// remember records token for eventID and reports false when the token was
// already used with another event.
func (v *mailgun) remember(token, eventID string, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if seen, ok := v.tokens[token]; ok && now.Before(seen.expires) {
		return seen.eventID == eventID
	}
	if len(v.tokens) >= maxTokens {
		for k, t := range v.tokens {
			if !now.Before(t.expires) {
				delete(v.tokens, k)
			}
		}
		for k := range v.tokens {
			if len(v.tokens) < maxTokens/2 {
				break
			}
			delete(v.tokens, k)
		}
	}
	v.tokens[token] = seenToken{eventID: eventID, expires: now.Add(2 * v.tol)}
	return true
}

func (v *mailgun) Verify(r *Request) error {
	var b struct {
		Signature *struct {
			Timestamp json.RawMessage `json:"timestamp"` // a string, or a number in some payloads
			Token     string          `json:"token"`
			Signature string          `json:"signature"`
			Parent    string          `json:"parent-signature"`
		} `json:"signature"`
		EventData struct {
			ID string `json:"id"`
		} `json:"event-data"`
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
	if err := checkAge(time.Unix(n, 0), r.Now, v.tol, false); err != nil {
		return err
	}
	if !v.remember(s.Token, b.EventData.ID, r.Now) {
		return invalid("mailgun", "token already used with another event (replay)")
	}
	return nil
}
