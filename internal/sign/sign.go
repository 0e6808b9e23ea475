// Package sign produces provider-correct signatures for test deliveries: what
// `hookqctl send` and `make demo` use, and what tests sign with. It is the
// provider's side of verify, written independently of it so each checks the
// other.
package sign

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/verify"
)

// Request is what Sign needs: the verifier type and its settings as in the
// config, the secret to sign with, the body and the time.
type Request struct {
	Type   string
	Secret string
	Body   []byte
	Now    time.Time
	// Generic hmac settings.
	Header, Prefix, Algorithm, Encoding, TimestampHeader, SignedPayload string
	// URL is the source's public URL, for presets that sign it.
	URL string
	// Key is the provider's private key, for asymmetric presets.
	Key crypto.Signer
	// BodyFormat is the source's body_format (Twilio and Mailgun sign form
	// and JSON bodies differently); "" = the preset's default.
	BodyFormat string
	// EventID is sent where the scheme carries the id in a header.
	EventID   string
	EventType string
}

// Types lists the verifier types Build signs for from a source's config
// alone: every catalogue preset but those signed with a private key only
// the provider holds (NeedsKey).
func Types() []string {
	var out []string
	for _, p := range verify.Catalogue() {
		if !keyed[p.Primitive] {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// builtin are the primitives signed by the switch in Sign.
var builtin = map[string]bool{"hmac": true, "stripe": true, "standardwebhooks": true, "svix": true}

// Sign returns the headers a genuine delivery of r.Body carries.
func Sign(r Request) (http.Header, error) {
	h := http.Header{}
	ts := strconv.FormatInt(r.Now.Unix(), 10)
	kind := r.Type
	if p, ok := verify.Find(r.Type); ok && builtin[p.Primitive] {
		kind = p.Primitive // a preset over a hand-written scheme (openai: standardwebhooks)
	}
	switch kind {
	case "stripe":
		h.Set("Stripe-Signature", "t="+ts+",v1="+hexMAC(sha256.New, []byte(r.Secret), ts, ".", string(r.Body)))
	case "standardwebhooks", "svix":
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Secret, "whsec_"))
		if err != nil {
			return nil, fmt.Errorf("%s: secret is not whsec_<base64>", r.Type)
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(r.EventID + "." + ts + "."))
		m.Write(r.Body)
		p := "webhook-"
		if kind == "svix" {
			p = "svix-"
		}
		h.Set(p+"id", r.EventID)
		h.Set(p+"timestamp", ts)
		h.Set(p+"signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	case "hmac":
		hf, err := verify.HashFunc(r.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("hmac: %w", err)
		}
		tmpl := r.SignedPayload
		if tmpl == "" {
			tmpl = "{body}"
		}
		msg := strings.NewReplacer("{timestamp}", ts, "{id}", r.EventID, "{body}", string(r.Body)).Replace(tmpl)
		m := hmac.New(hf, []byte(r.Secret))
		m.Write([]byte(msg))
		sig := hex.EncodeToString(m.Sum(nil))
		if r.Encoding == "base64" {
			sig = base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
		h.Set(r.Header, r.Prefix+sig)
		if r.TimestampHeader != "" {
			h.Set(r.TimestampHeader, ts)
		}
	default:
		p, ok := verify.Find(r.Type)
		if !ok {
			return nil, fmt.Errorf("sign: unknown type %q", r.Type)
		}
		f, ok := signers[p.Primitive]
		if !ok {
			return nil, fmt.Errorf("sign: type %q (%s) not supported (supported: %v)", r.Type, p.Primitive, Types())
		}
		if err := f(h, p, r); err != nil {
			return nil, fmt.Errorf("sign: %s: %w", r.Type, err)
		}
	}
	// The provider's id and type headers, where its preset reads them.
	if p, ok := verify.Find(r.Type); ok {
		if n := p.EventID.Header; n != "" && h.Get(n) == "" && r.EventID != "" {
			h.Set(n, r.EventID)
		}
		if n := p.EventType.Header; n != "" && h.Get(n) == "" && r.EventType != "" {
			h.Set(n, r.EventType)
		}
	}
	return h, nil
}

func hexMAC(h func() hash.Hash, key []byte, parts ...string) string {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}
