package verify

import "crypto/sha256"

// square verifies x-square-hmacsha256-signature: base64 HMAC-SHA256 of the
// notification URL followed by the body, keyed with the subscription's
// signature key. Spec.URL is that notification URL exactly as entered at
// Square; when the request carries a query string, it replaces the
// configured one. As in Square's SDKs an empty body is never genuine.
type square struct {
	keys [][]byte
	url  publicURL
}

func newSquare(s Spec) (Verifier, error) {
	u, err := parsePublicURL("square", s.URL)
	if err != nil {
		return nil, err
	}
	return &square{keys: secretBytes(s.Secrets), url: u}, nil
}

func (v *square) Verify(r *Request) error {
	h := r.Header.Get("X-Square-Hmacsha256-Signature")
	if h == "" {
		return missing("square", "no x-square-hmacsha256-signature header")
	}
	if len(r.Body) == 0 {
		return invalid("square", "empty body")
	}
	sig, ok := decodeB64Strict(h)
	if !ok || !anyMAC(sha256.New, v.keys, sig, join(v.url.base, v.url.effectiveQuery(r.RawQuery)), r.Body) {
		return invalid("square", "signature does not match")
	}
	return nil
}
