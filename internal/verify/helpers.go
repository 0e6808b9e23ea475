package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// macFunc returns the hash constructor for an algorithm name.
func macFunc(alg string) (func() hash.Hash, error) {
	switch alg {
	case "", "sha256":
		return sha256.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("algorithm %q: want sha1, sha256 or sha512", alg)
}

// mac computes HMAC(key, parts...) without joining the parts.
func mac(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// decodeHex decodes a hex signature; ok is false for anything malformed.
func decodeHex(s string) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// decodeB64 decodes a standard base64 signature; ok is false for anything malformed.
func decodeB64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// anyMAC reports whether sig equals HMAC(key, parts...) for any key, in
// constant time per comparison.
func anyMAC(h func() hash.Hash, keys [][]byte, sig []byte, parts ...[]byte) bool {
	if len(sig) == 0 {
		return false
	}
	ok := false
	for _, k := range keys {
		if hmac.Equal(mac(h, k, parts...), sig) {
			ok = true
		}
	}
	return ok
}

// secretBytes turns the configured secrets into HMAC keys: the UTF-8 bytes of
// the string the provider shows.
func secretBytes(s []Secret) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

// parseUnix parses a decimal Unix timestamp in seconds.
func parseUnix(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// checkAge enforces a timestamp tolerance. A future timestamp is refused
// beyond the tolerance unless allowFuture (Stripe's SDK checks age only).
func checkAge(ts, now time.Time, tol time.Duration, allowFuture bool) error {
	age := now.Sub(ts)
	if age > tol || (!allowFuture && -age > tol) {
		return webhook.ErrTimestampTolerance
	}
	return nil
}

// missing and invalid wrap the sentinels with the provider's name; they never
// carry a signature value.
func missing(provider, what string) error {
	return fmt.Errorf("%s: %s: %w", provider, what, webhook.ErrMissingSignature)
}

func invalid(provider, what string) error {
	return fmt.Errorf("%s: %s: %w", provider, what, webhook.ErrInvalidSignature)
}
