package verify

import (
	"crypto/sha256"
	"strings"
)

// github verifies X-Hub-Signature-256: sha256=<hex> over the body.
// The legacy SHA-1 header is not accepted.
type github struct{ keys [][]byte }

func newGitHub(s Spec) (Verifier, error) { return &github{keys: secretBytes(s.Secrets)}, nil }

func (v *github) Verify(r *Request) error {
	h := r.Header.Get("X-Hub-Signature-256")
	if h == "" {
		return missing("github", "no X-Hub-Signature-256 header")
	}
	hexSig, ok := strings.CutPrefix(h, "sha256=")
	if !ok {
		return invalid("github", "signature lacks sha256= prefix")
	}
	sig, ok := decodeHex(hexSig)
	if !ok || !anyMAC(sha256.New, v.keys, sig, r.Body) {
		return invalid("github", "signature does not match")
	}
	return nil
}
