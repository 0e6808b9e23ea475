package verify

import (
	"cmp"
	"slices"
)

// Preset is one provider in the catalogue: which primitive verifies it, with
// which fixed parameters, where its event id and type are, and what its
// signature does and does not cover. A source names a preset with
// `type: NAME`; its own settings (secrets, tolerance, url) are layered on top.
type Preset struct {
	Name      string `yaml:"name,omitempty"`      // the provider's name, lowercase, words joined by "-"
	Primitive string `yaml:"primitive,omitempty"` // a key of primitives
	Params    Params `yaml:"params,omitempty"`
	EventID   Field  `yaml:"event_id,omitempty"` // zero: "sha256:" + hex SHA-256 of the body
	EventType Field  `yaml:"event_type,omitempty"`
	// FormEventID and FormEventType replace EventID and EventType when a
	// source is configured with body_format form and the preset's bodies
	// are JSON (Mailgun's legacy form posts).
	FormEventID   Field  `yaml:"form_event_id,omitempty"`
	FormEventType Field  `yaml:"form_event_type,omitempty"`
	Body          string `yaml:"body,omitempty"`      // json | json-array | form | any
	Handshake     string `yaml:"handshake,omitempty"` // the probe the provider sends, answered by the verifier; "" for none
	Signature     string `yaml:"signature,omitempty"` // where the signature is, for people; derived from Params when empty
	Window        string `yaml:"window,omitempty"`    // the timestamp tolerance, for people; derived from Params when empty
	Setup         string `yaml:"setup,omitempty"`     // what to configure, for people
	Docs          string `yaml:"docs,omitempty"`      // the provider's page that documents the scheme
	Covers        string `yaml:"covers,omitempty"`    // what the signature covers
	Uncovered     string `yaml:"uncovered,omitempty"` // what it leaves unprotected
}

// primitives build a verifier from a source's Spec and a preset's Params.
// The bespoke ones ignore Params: each is a provider scheme of its own.
var primitives = map[string]func(Spec, Params) (Verifier, error){
	"hmac-body":      newHMACSig("hmac-body"),
	"hmac-timestamp": newHMACSig("hmac-timestamp"),
	"hmac-url":       newHMACSig("hmac-url"),
	"digest":         newHMACSig("digest"),
	"asymmetric":     newAsymmetric,
	"shared-secret":  newSharedSecret,

	"hmac":             bespoke(newHMAC),
	"stripe":           bespoke(newStripe),
	"standardwebhooks": bespoke(newStandardWebhooks),
	"svix":             bespoke(newSvix),
	"slack":            bespoke(newSlack),
	"twilio":           bespoke(newTwilio),
	"paddle":           bespoke(newPaddle),
	"square":           bespoke(newSquare),
	"discord":          bespoke(newDiscord),
	"mailgun":          bespoke(newMailgun),
	"linear":           bespoke(newLinear),
	"zoom":             bespoke(newZoom),
	"sendgrid":         bespoke(newSendGrid),
	"graph":            bespoke(newGraph),
	"sns":              bespoke(newSNS),
	"paypal":           bespoke(newPayPal),
}

func bespoke(f func(Spec) (Verifier, error)) func(Spec, Params) (Verifier, error) {
	return func(s Spec, _ Params) (Verifier, error) { return f(s) }
}

// Primitives lists the primitive names, sorted.
func Primitives() []string {
	out := make([]string, 0, len(primitives))
	for n := range primitives {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Catalogue returns every preset, sorted by name.
func Catalogue() []Preset {
	out := make([]Preset, 0, len(presets))
	for _, p := range presets {
		out = append(out, p.clone())
	}
	slices.SortFunc(out, func(a, b Preset) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Find returns the preset named name.
func Find(name string) (Preset, bool) {
	p, ok := presets[name]
	return p.clone(), ok
}

// clone copies the slices a caller could otherwise write through.
func (p Preset) clone() Preset {
	p.Params.Headers = slices.Clone(p.Params.Headers)
	return p
}

var presets = func() map[string]Preset {
	m := make(map[string]Preset, len(catalogue))
	for _, p := range catalogue {
		if _, dup := m[p.Name]; dup {
			panic("verify: preset " + p.Name + " listed twice")
		}
		if _, ok := primitives[p.Primitive]; !ok {
			panic("verify: preset " + p.Name + ": unknown primitive " + p.Primitive)
		}
		if _, ok := challenges[p.Params.Challenge]; p.Params.Challenge != "" && !ok {
			panic("verify: preset " + p.Name + ": unknown challenge " + p.Params.Challenge)
		}
		if _, ok := probes[p.Params.Probe]; p.Params.Probe != "" && !ok {
			panic("verify: preset " + p.Name + ": unknown probe " + p.Params.Probe)
		}
		m[p.Name] = p
	}
	return m
}()

// signatureHeaders lists, for the hand-written schemes, the headers of which
// a genuine delivery carries at least one. Mailgun signs inside the body and
// has none. Presets over the generic primitives take theirs from Params.
var signatureHeaders = map[string][]string{
	"stripe":           {"Stripe-Signature"},
	"standardwebhooks": {"webhook-signature"},
	"svix":             {"svix-signature"},
	"slack":            {"X-Slack-Signature"},
	"twilio":           {"X-Twilio-Signature"},
	"paddle":           {"Paddle-Signature"},
	"square":           {"X-Square-Hmacsha256-Signature"},
	"discord":          {"X-Signature-Ed25519"},
	"linear":           {"Linear-Signature"},
	"zoom":             {"x-zm-signature"},
	"sendgrid":         {"X-Twilio-Email-Event-Webhook-Signature"},
	"paypal":           {"Paypal-Transmission-Sig"},
}

// SignatureHeaders returns the headers of which a delivery for spec must
// carry one before its body is worth reading; empty when the signature is
// in the body or the URL, or its header names vary (a header family).
func SignatureHeaders(spec Spec) []string {
	if spec.Type == "hmac" {
		return []string{spec.Header}
	}
	p, ok := presets[spec.Type]
	if !ok {
		return nil
	}
	if h, ok := signatureHeaders[p.Primitive]; ok {
		return slices.Clone(h) // a hand-written scheme, or a preset over one
	}
	switch {
	case p.Params.Scheme == "basic":
		return []string{"Authorization"}
	case p.Params.HeaderFamily != "" || p.Params.Query != "":
		return nil
	}
	return slices.Clone(p.Params.Headers)
}
