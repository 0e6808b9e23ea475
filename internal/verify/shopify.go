package verify

import "crypto/sha256"

// shopify verifies X-Shopify-Hmac-Sha256 (event deliveries on the newer
// platform send it as shopify-hmac-sha256): base64 HMAC-SHA256 of the body
// keyed with the app's client secret. There is no timestamp.
type shopify struct{ keys [][]byte }

func newShopify(s Spec) (Verifier, error) { return &shopify{keys: secretBytes(s.Secrets)}, nil }

func (v *shopify) Verify(r *Request) error {
	h := r.Header.Get("X-Shopify-Hmac-Sha256")
	if h == "" {
		h = r.Header.Get("Shopify-Hmac-Sha256")
	}
	if h == "" {
		return missing("shopify", "no X-Shopify-Hmac-Sha256 header")
	}
	sig, ok := decodeB64Strict(h)
	if !ok || !anyMAC(sha256.New, v.keys, sig, r.Body) {
		return invalid("shopify", "signature does not match")
	}
	return nil
}
