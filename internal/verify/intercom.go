package verify

import (
	"crypto/sha1"
	"strings"
)

// intercom verifies X-Hub-Signature: sha1=<hex>, HMAC-SHA1 of the body keyed
// with the app's client secret. There is no timestamp.
type intercom struct{ keys [][]byte }

func newIntercom(s Spec) (Verifier, error) { return &intercom{keys: secretBytes(s.Secrets)}, nil }

func (v *intercom) Verify(r *Request) error {
	h := r.Header.Get("X-Hub-Signature")
	if h == "" {
		return missing("intercom", "no X-Hub-Signature header")
	}
	hexSig, ok := strings.CutPrefix(h, "sha1=")
	if !ok {
		return invalid("intercom", "signature lacks sha1= prefix")
	}
	sig, ok := decodeHex(hexSig)
	if !ok || !anyMAC(sha1.New, v.keys, sig, r.Body) {
		return invalid("intercom", "signature does not match")
	}
	return nil
}
