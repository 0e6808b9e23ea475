package verify

import "crypto/sha256"

// github verifies X-Hub-Signature-256: sha256=<hex> over the body.
// The legacy SHA-1 header is not accepted.
func newGitHub(s Spec) (Verifier, error) {
	return &prefixedHex{provider: "github", header: "X-Hub-Signature-256", prefix: "sha256=", h: sha256.New, keys: secretBytes(s.Secrets)}, nil
}
