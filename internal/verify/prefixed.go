package verify

import (
	"hash"
	"strings"
)

// prefixedHex verifies a header "<prefix><hex HMAC of the body>" with no
// timestamp: GitHub's X-Hub-Signature-256 (sha256=) and Intercom's
// X-Hub-Signature (sha1=).
type prefixedHex struct {
	provider, header, prefix string
	h                        func() hash.Hash
	keys                     [][]byte
}

func (v *prefixedHex) Verify(r *Request) error {
	val := r.Header.Get(v.header)
	if val == "" {
		return missing(v.provider, "no "+v.header+" header")
	}
	hexSig, ok := strings.CutPrefix(val, v.prefix)
	if !ok {
		return invalid(v.provider, "signature lacks "+v.prefix+" prefix")
	}
	sig, ok := decodeHex(hexSig)
	if !ok || !anyMAC(v.h, v.keys, sig, r.Body) {
		return invalid(v.provider, "signature does not match")
	}
	return nil
}
