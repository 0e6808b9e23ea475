package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// sharedSecret checks a secret the provider sends as is: a header equal to
// a configured secret (after a literal prefix such as "Bearer "), or HTTP
// Basic credentials ("user:password" secrets). Nothing covers the body, so
// this proves only that the sender knows the secret. Both sides are hashed
// before the constant-time comparison so that not even a length leaks.
type sharedSecret struct {
	name   string
	header string
	prefix string
	basic  bool
	sums   [][sha256.Size]byte
}

func newSharedSecret(s Spec, p Params) (Verifier, error) {
	v := &sharedSecret{name: s.Type, prefix: p.Prefix}
	switch p.Scheme {
	case "header":
		if len(p.Headers) != 1 {
			return nil, fmt.Errorf("%s: a header secret needs one header", s.Type)
		}
		v.header = p.Headers[0]
	case "basic":
		v.header, v.prefix, v.basic = "Authorization", "Basic ", true
	default:
		return nil, fmt.Errorf("%s: scheme %q: want header or basic", s.Type, p.Scheme)
	}
	for i, sec := range s.Secrets {
		if v.basic && !strings.Contains(string(sec), ":") {
			return nil, fmt.Errorf("%s: secret %d: want user:password", s.Type, i)
		}
		v.sums = append(v.sums, sha256.Sum256([]byte(sec)))
	}
	return v, nil
}

func (v *sharedSecret) Verify(r *Request) error {
	h := r.Header.Get(v.header)
	if h == "" {
		return missing(v.name, "no "+v.header+" header")
	}
	val, ok := strings.CutPrefix(h, v.prefix)
	if !ok && v.basic {
		// The auth scheme is case-insensitive (RFC 9110 11.1).
		if len(h) > len(v.prefix) && strings.EqualFold(h[:len(v.prefix)], v.prefix) {
			val, ok = h[len(v.prefix):], true
		}
	}
	if !ok {
		return invalid(v.name, "value lacks the expected scheme")
	}
	if v.basic {
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return invalid(v.name, "malformed Basic credentials")
		}
		val = string(b)
	}
	got := sha256.Sum256([]byte(val))
	match := 0
	for i := range v.sums {
		match |= subtle.ConstantTimeCompare(got[:], v.sums[i][:])
	}
	if match != 1 {
		return invalid(v.name, "secret does not match")
	}
	return nil
}
