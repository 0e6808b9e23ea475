package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"net/url"
	"sort"
)

// twilio verifies X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth
// token, of the full public URL (Spec.URL, with the request's query string
// when it has one) followed, for form posts, by every POST parameter sorted
// by name as name+value (repeated names: values sorted). For JSON posts
// Twilio adds bodySHA256=hex(SHA-256(body)) to the URL's query, signs the URL
// alone, and the body must hash to that value. Like Twilio's SDKs, the URL
// is tried as configured and with its port toggled (default port added, or
// an explicit port removed). There is no timestamp.
type twilio struct {
	keys [][]byte
	url  publicURL
}

func newTwilio(s Spec) (Verifier, error) {
	u, err := parsePublicURL("twilio", s.URL)
	if err != nil {
		return nil, err
	}
	return &twilio{keys: secretBytes(s.Secrets), url: u}, nil
}

func (v *twilio) Verify(r *Request) error {
	h := r.Header.Get("X-Twilio-Signature")
	if h == "" {
		return missing("twilio", "no X-Twilio-Signature header")
	}
	sig, ok := decodeB64Strict(h)
	if !ok {
		return invalid("twilio", "malformed signature")
	}
	q := v.url.effectiveQuery(r.RawQuery)
	query, err := url.ParseQuery(q)
	if err != nil {
		return invalid("twilio", "malformed query string")
	}
	var params []byte
	bodyHash := query.Get("bodySHA256")
	if bodyHash == "" {
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return invalid("twilio", "body is neither form-encoded nor covered by bodySHA256")
		}
		params = sortedParams(form)
	}
	if !anyMAC(sha1.New, v.keys, sig, join(v.url.base, q), params) &&
		!anyMAC(sha1.New, v.keys, sig, join(v.url.alt, q), params) {
		return invalid("twilio", "signature does not match")
	}
	if bodyHash != "" {
		want, ok := decodeHex(bodyHash)
		sum := sha256.Sum256(r.Body)
		if !ok || !hmac.Equal(want, sum[:]) {
			return invalid("twilio", "body does not match bodySHA256")
		}
		return nil
	}
	r.Signed = append(join(v.url.base, q), params...)
	return nil
}

// sortedParams concatenates name+value for every parameter, names sorted
// (Unix byte order, as Twilio documents), a name's values sorted too.
func sortedParams(form url.Values) []byte {
	names := make([]string, 0, len(form))
	n := 0
	for k, vs := range form {
		names = append(names, k)
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	sort.Strings(names)
	out := make([]byte, 0, n)
	for _, k := range names {
		vs := form[k]
		if len(vs) > 1 {
			vs = append([]string(nil), vs...)
			sort.Strings(vs)
		}
		for _, v := range vs {
			out = append(append(out, k...), v...)
		}
	}
	return out
}
