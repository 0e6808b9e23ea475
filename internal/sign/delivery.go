package sign

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hookq/hookq/internal/verify"
)

// Delivery is one signed test delivery: its headers, its body (which some
// schemes stamp or wrap: Linear's webhookTimestamp, Mailgun's signature
// object, Graph's notification envelope) and the raw query the provider
// adds to the URL (Twilio's bodySHA256).
type Delivery struct {
	Header http.Header
	Body   []byte
	Query  string
}

// ErrNeedsKey is returned by Build for schemes signed with a key only the
// provider holds (the config holds the public half, or nothing): a test
// delivery needs Request.Key.
var ErrNeedsKey = errors.New("signing needs the provider's private key, which a source's config never holds")

// keyed are the primitives whose deliveries need Request.Key.
var keyed = map[string]bool{"asymmetric": true, "discord": true, "sendgrid": true, "sns": true, "paypal": true}

// builders sign the hand-written schemes that Sign does not: each returns
// the whole delivery.
var builders = map[string]func(r Request) (Delivery, error){
	"slack": func(r Request) (Delivery, error) {
		ts := unix(r)
		return Delivery{Header: http.Header{"X-Slack-Signature": {"v0=" + hexMAC(sha256.New, []byte(r.Secret), "v0:", ts, ":", string(r.Body))},
			"X-Slack-Request-Timestamp": {ts}}, Body: r.Body}, nil
	},
	"zoom": func(r Request) (Delivery, error) {
		ts := unix(r)
		return Delivery{Header: http.Header{"X-Zm-Signature": {"v0=" + hexMAC(sha256.New, []byte(r.Secret), "v0:", ts, ":", string(r.Body))},
			"X-Zm-Request-Timestamp": {ts}}, Body: r.Body}, nil
	},
	"paddle": func(r Request) (Delivery, error) {
		ts := unix(r)
		return Delivery{Header: http.Header{"Paddle-Signature": {"ts=" + ts + ";h1=" + hexMAC(sha256.New, []byte(r.Secret), ts, ":", string(r.Body))}}, Body: r.Body}, nil
	},
	"square": func(r Request) (Delivery, error) {
		if r.URL == "" {
			return Delivery{}, errors.New("square signs the notification URL: set the source's url")
		}
		m := hmac.New(sha256.New, []byte(r.Secret))
		m.Write([]byte(r.URL))
		m.Write(r.Body)
		return Delivery{Header: http.Header{"X-Square-Hmacsha256-Signature": {base64.StdEncoding.EncodeToString(m.Sum(nil))}}, Body: r.Body}, nil
	},
	// Linear signs the body, which carries webhookTimestamp (ms) as its first member.
	"linear": func(r Request) (Delivery, error) {
		if len(r.Body) < 2 || r.Body[0] != '{' {
			return Delivery{}, errors.New("linear: the body must be a JSON object (webhookTimestamp goes in it)")
		}
		sep := ","
		if strings.TrimSpace(string(r.Body[1:])) == "}" {
			sep = ""
		}
		body := []byte(`{"webhookTimestamp":` + strconv.FormatInt(r.Now.UnixMilli(), 10) + sep + string(r.Body[1:]))
		return Delivery{Header: http.Header{"Linear-Signature": {hexMAC(sha256.New, []byte(r.Secret), string(body))}}, Body: body}, nil
	},
	// Mailgun signs timestamp + token, carried in the body: a JSON
	// signature object, or form fields for legacy form sources.
	"mailgun": func(r Request) (Delivery, error) {
		ts, tok := unix(r), randomHex(25)
		sig := hexMAC(sha256.New, []byte(r.Secret), ts, tok)
		if r.BodyFormat == verify.FormatForm {
			body := string(r.Body)
			if body != "" {
				body += "&"
			}
			body += url.Values{"timestamp": {ts}, "token": {tok}, "signature": {sig}}.Encode()
			return Delivery{Header: http.Header{}, Body: []byte(body)}, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &obj); err != nil || obj == nil {
			return Delivery{}, errors.New("mailgun: the body must be a JSON object (the signature object goes in it)")
		}
		obj["signature"], _ = json.Marshal(map[string]string{"timestamp": ts, "token": tok, "signature": sig})
		body, _ := json.Marshal(obj)
		return Delivery{Header: http.Header{}, Body: body}, nil
	},
	// Twilio signs the URL: form posts with their sorted parameters, JSON
	// posts with bodySHA256 added to the query.
	"twilio": func(r Request) (Delivery, error) {
		if r.URL == "" {
			return Delivery{}, errors.New("twilio signs the public URL: set the source's url")
		}
		u, q := r.URL, ""
		var params string
		if r.BodyFormat == verify.FormatJSON {
			sum := sha256.Sum256(r.Body)
			q = "bodySHA256=" + hex.EncodeToString(sum[:])
			if strings.Contains(u, "?") {
				u += "&" + q
			} else {
				u += "?" + q
			}
		} else {
			form, err := url.ParseQuery(string(r.Body))
			if err != nil {
				return Delivery{}, errors.New("twilio: the body must be form-encoded (or set body_format: json)")
			}
			names := make([]string, 0, len(form))
			for k := range form {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				vs := append([]string(nil), form[k]...)
				sort.Strings(vs)
				for _, v := range vs {
					params += k + v
				}
			}
		}
		m := hmac.New(sha1.New, []byte(r.Secret))
		m.Write([]byte(u + params))
		return Delivery{Header: http.Header{"X-Twilio-Signature": {base64.StdEncoding.EncodeToString(m.Sum(nil))}}, Body: r.Body, Query: q}, nil
	},
	// Graph posts notifications in a "value" array, each with the
	// clientState of its subscription; the body goes in as resourceData.
	"graph": func(r Request) (Delivery, error) {
		data := json.RawMessage(r.Body)
		if !json.Valid(r.Body) {
			data, _ = json.Marshal(string(r.Body))
		}
		body, err := json.Marshal(map[string]any{"value": []any{map[string]any{
			"subscriptionId": "00000000-0000-0000-0000-000000000000", "clientState": r.Secret,
			"changeType": orString(r.EventType, "created"), "resource": "hookq/test", "resourceData": data}}})
		return Delivery{Header: http.Header{}, Body: body}, err
	},
	"discord": func(r Request) (Delivery, error) {
		k, ok := r.Key.(ed25519.PrivateKey)
		if !ok {
			return Delivery{}, fmt.Errorf("discord: %w (an Ed25519 key)", ErrNeedsKey)
		}
		ts := unix(r)
		sig := ed25519.Sign(k, append([]byte(ts), r.Body...))
		return Delivery{Header: http.Header{"X-Signature-Ed25519": {hex.EncodeToString(sig)}, "X-Signature-Timestamp": {ts}}, Body: r.Body}, nil
	},
	"sendgrid": func(r Request) (Delivery, error) {
		k, ok := r.Key.(*ecdsa.PrivateKey)
		if !ok {
			return Delivery{}, fmt.Errorf("sendgrid: %w (an ECDSA P-256 key)", ErrNeedsKey)
		}
		ts := unix(r)
		d := sha256.Sum256(append([]byte(ts), r.Body...))
		sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
		return Delivery{Header: http.Header{"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
			"X-Twilio-Email-Event-Webhook-Timestamp": {ts}}, Body: r.Body}, err
	},
	// SNS messages are signed by AWS with a certificate it serves from its
	// own hosts; no key a source can configure signs one its verifier accepts.
	"sns": func(Request) (Delivery, error) {
		return Delivery{}, fmt.Errorf("aws-sns: %w: AWS signs with the certificate at SigningCertURL, served only from sns.<region>.amazonaws.com", ErrNeedsKey)
	},
	"paypal": func(Request) (Delivery, error) {
		return Delivery{}, fmt.Errorf("paypal: %w: PayPal signs with the certificate at PAYPAL-CERT-URL, served only from api.paypal.com", ErrNeedsKey)
	},
}

// Build returns the whole delivery a provider would send for r: the body
// as it goes on the wire, its headers and any query added to the URL. It
// covers every catalogue preset; for those signed with a key only the
// provider holds (Discord, SendGrid, Telnyx, AWS SNS) it needs Request.Key
// and otherwise returns an error wrapping ErrNeedsKey.
func Build(r Request) (Delivery, error) {
	p, ok := verify.Find(r.Type)
	if !ok {
		return Delivery{}, fmt.Errorf("sign: unknown type %q", r.Type)
	}
	if r.BodyFormat == "" {
		r.BodyFormat = verify.FormatJSON
		if p.Body == verify.FormatForm {
			r.BodyFormat = verify.FormatForm
		}
	}
	var d Delivery
	if b, ok := builders[p.Primitive]; ok {
		var err error
		if d, err = b(r); err != nil {
			return Delivery{}, err
		}
	} else {
		if keyed[p.Primitive] && r.Key == nil {
			return Delivery{}, fmt.Errorf("%s: %w", r.Type, ErrNeedsKey)
		}
		h, err := Sign(r)
		if err != nil {
			return Delivery{}, err
		}
		d = Delivery{Header: h, Body: r.Body}
	}
	if n := p.EventID.Header; n != "" && d.Header.Get(n) == "" && r.EventID != "" {
		d.Header.Set(n, r.EventID)
	}
	if n := p.EventType.Header; n != "" && d.Header.Get(n) == "" && r.EventType != "" {
		d.Header.Set(n, r.EventType)
	}
	return d, nil
}

// NeedsKey reports whether typ's deliveries are signed with a private key
// only the provider holds.
func NeedsKey(typ string) bool {
	p, ok := verify.Find(typ)
	return ok && keyed[p.Primitive]
}

func unix(r Request) string { return strconv.FormatInt(r.Now.Unix(), 10) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
