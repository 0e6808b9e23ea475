package verify

import "crypto/sha1"

// intercom verifies X-Hub-Signature: sha1=<hex>, HMAC-SHA1 of the body keyed
// with the app's client secret. There is no timestamp.
func newIntercom(s Spec) (Verifier, error) {
	return &prefixedHex{provider: "intercom", header: "X-Hub-Signature", prefix: "sha1=", h: sha1.New, keys: secretBytes(s.Secrets)}, nil
}
