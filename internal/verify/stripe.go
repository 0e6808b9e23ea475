package verify

import (
	"crypto/sha256"
	"strings"
	"time"
)

// stripe verifies Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…].
// Signed bytes are t + "." + body, HMAC-SHA256 keyed with the whole whsec_…
// string. Only v1 counts. Like stripe-go, only the age of t is checked: a
// timestamp in the future is accepted.
type stripe struct {
	keys [][]byte
	tol  time.Duration
}

func newStripe(s Spec) (Verifier, error) {
	return &stripe{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 5*time.Minute)}, nil
}

func (v *stripe) Verify(r *Request) error {
	h := r.Header.Get("Stripe-Signature")
	if h == "" {
		return missing("stripe", "no Stripe-Signature header")
	}
	ts, sigs, ok := parseStripeHeader(h)
	if !ok {
		return invalid("stripe", "malformed Stripe-Signature header")
	}
	t, ok := parseUnix(ts)
	if !ok {
		return invalid("stripe", "malformed timestamp")
	}
	if !anyMACOf(sha256.New, v.keys, decodeHexAll(sigs), []byte(ts), []byte("."), r.Body) {
		return invalid("stripe", "no v1 signature matches")
	}
	if err := checkAge(t, r.Now, v.tol, true); err != nil {
		return err
	}
	return nil
}

// parseStripeHeader returns the t value and every v1 value. ok is false when
// there is no t or no v1.
func parseStripeHeader(h string) (ts string, v1 []string, ok bool) {
	for _, item := range strings.Split(h, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(item), "=")
		if !found {
			continue
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			v1 = append(v1, val)
		}
	}
	return ts, v1, ts != "" && len(v1) > 0
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
