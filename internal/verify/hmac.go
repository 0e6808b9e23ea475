package verify

import (
	"fmt"
	"hash"
	"strings"
	"time"
)

// generic verifies a configurable HMAC: a header (optional literal prefix),
// sha1/sha256/sha512, hex or base64, and optionally a timestamp header whose
// value is checked against a tolerance and may be part of the signed payload
// through the template ({id}, {timestamp}, {body}). It covers the seed's
// X-Signature: hex HMAC-SHA256 of the raw body.
type generic struct {
	keys     [][]byte
	h        func() hash.Hash
	header   string
	prefix   string
	b64      bool
	tsHeader string
	idHeader string
	tol      time.Duration
	parts    []string // template split into literals and placeholders
}

func newHMAC(s Spec) (Verifier, error) {
	if s.Header == "" {
		return nil, fmt.Errorf("hmac: header is required")
	}
	h, err := HashFunc(s.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("hmac: %w", err)
	}
	v := &generic{keys: secretBytes(s.Secrets), h: h, header: s.Header, prefix: s.Prefix,
		tsHeader: s.TimestampHeader, idHeader: s.IDHeader, tol: orDefault(s.Tolerance, 5*time.Minute)}
	switch s.Encoding {
	case "", "hex":
	case "base64":
		v.b64 = true
	default:
		return nil, fmt.Errorf("hmac: encoding %q: want hex or base64", s.Encoding)
	}
	tmpl := s.SignedPayload
	if tmpl == "" {
		tmpl = "{body}"
	}
	if v.parts, err = splitPlaceholders(tmpl, "{body}", "{timestamp}", "{id}"); err != nil {
		return nil, fmt.Errorf("hmac: signed_payload: %w", err)
	}
	signsTS := false
	for _, p := range v.parts {
		signsTS = signsTS || p == "{timestamp}"
		if p == "{timestamp}" && v.tsHeader == "" {
			return nil, fmt.Errorf("hmac: signed_payload uses {timestamp} but timestamp_header is not set")
		}
		if p == "{id}" && v.idHeader == "" {
			return nil, fmt.Errorf("hmac: signed_payload uses {id} but id_header is not set")
		}
	}
	if v.tsHeader != "" && !signsTS {
		// An unsigned timestamp can be replaced at will: the tolerance check
		// would protect nothing while looking like replay protection.
		return nil, fmt.Errorf("hmac: timestamp_header is set but signed_payload does not include {timestamp} (e.g. \"{timestamp}.{body}\")")
	}
	return v, nil
}

func (v *generic) Verify(r *Request) error {
	raw := r.Header.Get(v.header)
	if raw == "" {
		return missing("hmac", "no "+v.header+" header")
	}
	val, ok := strings.CutPrefix(strings.TrimSpace(raw), v.prefix)
	if !ok {
		return invalid("hmac", "signature lacks the configured prefix")
	}
	var sig []byte
	if v.b64 {
		sig, ok = decodeB64(val)
	} else {
		sig, ok = decodeHex(val)
	}
	if !ok {
		return invalid("hmac", "signature is not valid encoding")
	}
	var ts string
	if v.tsHeader != "" {
		if ts = r.Header.Get(v.tsHeader); ts == "" {
			return missing("hmac", "no "+v.tsHeader+" header")
		}
	}
	parts := fillTemplate(v.parts, r.Body, map[string]string{
		"{timestamp}": ts,
		"{id}":        r.Header.Get(v.idHeader),
	})
	if !anyMAC(v.h, v.keys, sig, parts...) {
		return invalid("hmac", "signature does not match")
	}
	if v.tsHeader != "" {
		t, ok := parseUnix(ts)
		if !ok {
			return invalid("hmac", "malformed timestamp")
		}
		return checkAge(t, r.Now, v.tol, false)
	}
	return nil
}
