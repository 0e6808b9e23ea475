package verify

import (
	"crypto/sha256"
	"strings"
	"time"
)

// paddle verifies Paddle Billing's Paddle-Signature: ts=<unix>;h1=<hex>
// [;h1=…], hex HMAC-SHA256 of ts + ":" + body keyed with the notification
// destination's secret key; any h1 may match (rotation). The tolerance is
// 5s by default, as in Paddle's SDKs, and like them only the age counts:
// a timestamp in the future is accepted.
type paddle struct {
	keys [][]byte
	tol  time.Duration
}

func newPaddle(s Spec) (Verifier, error) {
	return &paddle{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 5*time.Second)}, nil
}

func (v *paddle) Verify(r *Request) error {
	h := r.Header.Get("Paddle-Signature")
	if h == "" {
		return missing("paddle", "no Paddle-Signature header")
	}
	ts, h1, ok := parsePaddleHeader(h)
	if !ok {
		return invalid("paddle", "malformed Paddle-Signature header")
	}
	if !anyMACOf(sha256.New, v.keys, decodeHexAll(h1), []byte(ts), []byte(":"), r.Body) {
		return invalid("paddle", "no h1 signature matches")
	}
	n, ok := parseInt(ts)
	if !ok {
		return invalid("paddle", "malformed timestamp")
	}
	return checkAge(time.Unix(n, 0), r.Now, v.tol, true)
}

// parsePaddleHeader returns the ts value and every h1 value; ok is false
// without a ts or an h1.
func parsePaddleHeader(h string) (ts string, h1 []string, ok bool) {
	for _, item := range strings.Split(h, ";") {
		k, val, found := strings.Cut(strings.TrimSpace(item), "=")
		if !found {
			continue
		}
		switch k {
		case "ts":
			ts = val
		case "h1":
			h1 = append(h1, val)
		}
	}
	return ts, h1, ts != "" && len(h1) > 0
}
