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

// HashFunc returns the hash constructor for an algorithm name of Params
// (sha1, sha256 or sha512; "" is sha256): the one place that maps a name to
// a hash, for verifying and for signing alike.
func HashFunc(alg string) (func() hash.Hash, error) {
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

// fillTemplate returns the parts of a template split by splitPlaceholders:
// {body} as the body, a placeholder in vals as its value, any other part (a
// literal, or a placeholder the caller resolves itself) as written.
func fillTemplate(tmpl []string, body []byte, vals map[string]string) [][]byte {
	parts := make([][]byte, len(tmpl))
	for i, p := range tmpl {
		if p == "{body}" {
			parts[i] = body
		} else if val, ok := vals[p]; ok {
			parts[i] = []byte(val)
		} else {
			parts[i] = []byte(p)
		}
	}
	return parts
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
	return anyMACOf(h, keys, [][]byte{sig}, parts...)
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

// maxSignatures bounds how many candidate signatures one header may make a
// verifier check, so a huge header cannot buy unbounded CPU (each Ed25519 or
// ECDSA check costs tens of microseconds). Rotation needs two or three.
const maxSignatures = 16

// decodeB64Strict decodes a standard, padded base64 signature. Unlike
// decodeB64 it refuses embedded CR/LF (which encoding/base64 skips) and
// non-zero padding bits, so one signature has exactly one accepted spelling.
func decodeB64Strict(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil && len(b) > 0
}

// parseInt parses a decimal integer with no sign, space or other decoration.
func parseInt(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// anyMACOf reports whether any of sigs equals HMAC(key, parts...) for any
// key. Each key's HMAC is computed once however many signatures a header
// lists, so a long header costs comparisons, not hashes of the body.
func anyMACOf(h func() hash.Hash, keys [][]byte, sigs [][]byte, parts ...[]byte) bool {
	if len(sigs) == 0 {
		return false
	}
	ok := false
	for _, k := range keys {
		m := mac(h, k, parts...)
		for _, s := range sigs {
			if len(s) > 0 && hmac.Equal(m, s) {
				ok = true
			}
		}
	}
	return ok
}

// decodeHexAll decodes every well-formed hex value, at most maxSignatures,
// skipping malformed ones.
func decodeHexAll(vals []string) [][]byte {
	out := make([][]byte, 0, min(len(vals), maxSignatures))
	for _, v := range vals {
		if len(out) == maxSignatures {
			break
		}
		if b, ok := decodeHex(v); ok {
			out = append(out, b)
		}
	}
	return out
}
