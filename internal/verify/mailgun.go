package verify

import (
	"crypto/sha256"
	"net/url"
	"time"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/jsonpath"
)

// mailgun verifies Mailgun's webhooks, whose signature travels inside the
// body: {"signature": {"timestamp", "token", "signature"}, "event-data": …}
// where signature is hex HMAC-SHA256(webhook signing key, timestamp + token).
// On subaccount events a "parent-signature" made with the parent account's
// key is accepted too, so the parent's key may be configured instead. With
// Spec.BodyFormat = form it reads Mailgun's legacy (and route forward)
// posts instead: application/x-www-form-urlencoded fields timestamp, token
// and signature, signed the same way.
//
// The signature covers neither the event data nor the rest of the body, so
// on its own a captured signature could carry any other body within the
// tolerance. Verify therefore hands the token to ingest (Request.Token),
// which binds it in Redis to a hash of the whole body for twice the
// tolerance: the same body again (a retry) passes on to dedupe, any other
// body with that token is refused. Mailgun warns that deliveries can be
// delayed, so the default tolerance is 15 minutes, in either direction.
type mailgun struct {
	keys [][]byte
	tol  time.Duration
	form bool
}

func newMailgun(s Spec) (Verifier, error) {
	return &mailgun{keys: secretBytes(s.Secrets), tol: orDefault(s.Tolerance, 15*time.Minute), form: s.BodyFormat == FormatForm}, nil
}

// mailgunSig is the signed part of a delivery.
type mailgunSig struct{ timestamp, token, signature, parent string }

func (v *mailgun) Verify(r *Request) error {
	var s mailgunSig
	var ok bool
	if v.form {
		s, ok = mailgunFormSig(r.Body)
	} else {
		s, ok = mailgunJSONSig(r.Body)
	}
	if !ok || s.signature == "" {
		return missing("mailgun", "no single signature object in the body")
	}
	if s.timestamp == "" || s.token == "" {
		return missing("mailgun", "signature lacks timestamp or token")
	}
	match := false
	for _, h := range []string{s.signature, s.parent} {
		if sig, ok := decodeHex(h); ok && anyMAC(sha256.New, v.keys, sig, []byte(s.timestamp), []byte(s.token)) {
			match = true
		}
	}
	if !match {
		return invalid("mailgun", "signature does not match")
	}
	n, ok := parseInt(s.timestamp)
	if !ok {
		return invalid("mailgun", "malformed timestamp")
	}
	if err := checkAge(time.Unix(n, 0), r.Now, v.tol, false); err != nil {
		return err
	}
	r.Token, r.TokenTTL = s.token, 2*v.tol
	return nil
}

// mailgunJSONSig reads the signature object. Every key is read with one
// strict parser: a key given twice or in two letter cases is refused, so no
// other parser can see another signature than the one checked here.
func mailgunJSONSig(body []byte) (mailgunSig, bool) {
	if !gjson.ValidBytes(body) {
		return mailgunSig{}, false
	}
	var s mailgunSig
	for _, f := range []struct {
		path string
		dst  *string
	}{{"signature.timestamp", &s.timestamp}, {"signature.token", &s.token}, {"signature.signature", &s.signature}, {"signature.parent-signature", &s.parent}} {
		r, err := jsonpath.Get(body, f.path)
		switch {
		case err != nil:
			return mailgunSig{}, false
		case r.Type == gjson.String:
			*f.dst = r.Str
		case r.Type == gjson.Number && f.path == "signature.timestamp":
			*f.dst = r.Raw // a number in some payloads; signed as its digits
		case r.Exists() && r.Type != gjson.Null:
			return mailgunSig{}, false
		}
	}
	return s, true
}

// mailgunFormSig reads the legacy form fields; each must appear at most once.
func mailgunFormSig(body []byte) (mailgunSig, bool) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return mailgunSig{}, false
	}
	var s mailgunSig
	for _, f := range []struct {
		name string
		dst  *string
	}{{"timestamp", &s.timestamp}, {"token", &s.token}, {"signature", &s.signature}} {
		switch vs := form[f.name]; len(vs) {
		case 0:
		case 1:
			*f.dst = vs[0]
		default:
			return mailgunSig{}, false
		}
	}
	return s, true
}
