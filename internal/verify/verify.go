// Package verify checks provider signatures over the raw request bytes.
//
// Every provider is a preset in the catalogue (presets.yaml): data over one of
// a few primitives, each a small file implementing Verifier, and every one
// passes the shared conformance suite in verifytest. Verify never panics on hostile
// input and its errors never contain a secret or an expected signature.
package verify

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Request is what a verifier sees of one delivery.
type Request struct {
	Header   http.Header
	Body     []byte // raw bytes as received
	RawQuery string // the request URL's raw query (Twilio and Square sign the URL)
	Now      time.Time

	// Token is set by Verify when the signature rests on a one-time token
	// and covers less than the whole body (Mailgun). The caller must bind
	// Token to this body for TokenTTL, refusing the same token with any
	// other body, before acting on the delivery.
	Token    string
	TokenTTL time.Duration
	// Signed is set by Verify when the signature covers a decoded form of
	// the body rather than its bytes (Twilio's sorted form parameters): the
	// bytes it covers. A default event id hashes them, so re-encoding a
	// signed delivery cannot mint a new id.
	Signed []byte
}

// Verifier checks one delivery's signature.
type Verifier interface {
	// Verify returns nil for a genuine delivery, otherwise an error wrapping
	// webhook.ErrMissingSignature, webhook.ErrInvalidSignature or
	// webhook.ErrTimestampTolerance.
	Verify(r *Request) error
}

// Handshaker is implemented by verifiers whose provider probes the endpoint
// (Slack url_verification, Zoom url_validation, Discord PING). Handshake is
// called only after Verify succeeded; ok reports that r was a handshake and
// resp is the JSON body to answer with instead of enqueueing.
type Handshaker interface {
	Handshake(r *Request) (resp []byte, ok bool)
}

// Secret is a signing secret, token or public key. It prints as REDACTED so
// it cannot leak through a log line or an error.
type Secret string

func (Secret) String() string   { return "REDACTED" }
func (Secret) GoString() string { return "REDACTED" }

// Spec configures one verifier. Zero values mean the type's defaults.
type Spec struct {
	Type      string
	Secrets   []Secret      // several = rotation: any one may match
	Tolerance time.Duration // 0 = the provider SDK's default; none for Discord and SendGrid, whose SDKs check none
	URL       string        // Twilio, Square: public URL configured at the provider
	// VerifyToken is the token a GET handshake must carry (Meta's
	// hub.verify_token); without it every such GET is refused.
	VerifyToken Secret
	// BodyFormat is how the source's bodies are read: FormatJSON or
	// FormatForm; "" = the type's default (Kind.BodyFormat).
	BodyFormat string

	// Generic hmac only.
	Header          string // signature header
	Prefix          string // literal prefix stripped from the header value, e.g. "sha256="
	Algorithm       string // sha1 | sha256 (default) | sha512
	Encoding        string // hex (default) | base64
	TimestampHeader string // optional; enables the tolerance check
	SignedPayload   string // template over {id} {timestamp} {body}; default "{body}"
	IDHeader        string // header substituted for {id}
}

// Field says where an event id or type is found: a header, or a JSON path
// (dot-separated keys, numeric segments index arrays). The zero Field means
// "none": for an id, sha256 of the body is used.
type Field struct {
	Header string `yaml:"header,omitempty"`
	JSON   string `yaml:"json,omitempty"`
	Else   *Field `yaml:"else,omitempty"` // tried when this location is absent
}

// IsZero reports whether f names no location.
func (f Field) IsZero() bool { return f.Header == "" && f.JSON == "" }

// Body formats. A source's format is configuration, never taken from the
// request: an unsigned Content-Type must not choose how signed bytes are read.
const (
	FormatJSON = "json"
	FormatForm = "form" // application/x-www-form-urlencoded
)

// Kind describes a verifier type: its constructor, default extraction and
// default body format.
type Kind struct {
	New        func(Spec) (Verifier, error)
	EventID    Field
	EventType  Field
	BodyFormat string // "" = FormatJSON
	// FormEventID and FormEventType replace EventID and EventType when a
	// source of this type is configured with the other format (Mailgun's
	// legacy form posts).
	FormEventID, FormEventType Field
}

// Format returns the body format spec configures for kind k.
func (k Kind) Format(spec Spec) string {
	switch {
	case spec.BodyFormat != "":
		return spec.BodyFormat
	case k.BodyFormat != "":
		return k.BodyFormat
	}
	return FormatJSON
}

// New builds the verifier for spec.Type.
func New(spec Spec) (Verifier, error) {
	k, ok := Lookup(spec.Type)
	if !ok {
		return nil, fmt.Errorf("unknown verifier type %q (known: %v)", spec.Type, Types())
	}
	if len(spec.Secrets) == 0 {
		return nil, fmt.Errorf("%s: at least one secret is required", spec.Type)
	}
	if f := spec.BodyFormat; f != "" && f != FormatJSON && f != FormatForm {
		return nil, fmt.Errorf("%s: body_format %q: want %s or %s", spec.Type, f, FormatJSON, FormatForm)
	}
	for i, s := range spec.Secrets {
		if s == "" {
			return nil, fmt.Errorf("%s: secret %d is empty", spec.Type, i)
		}
	}
	return k.New(spec)
}

// Lookup returns the Kind of a preset.
func Lookup(typ string) (Kind, bool) {
	p, ok := presets[typ]
	if !ok {
		return Kind{}, false
	}
	build := primitives[p.Primitive]
	newV := func(s Spec) (Verifier, error) {
		v, err := build(s, p.Params)
		switch {
		case err != nil:
			return nil, err
		case p.Params.Challenge != "":
			return challenging{Verifier: v, challenge: challenges[p.Params.Challenge](s)}, nil
		case p.Params.Probe != "":
			return probing{Verifier: v, probe: probes[p.Params.Probe]}, nil
		}
		return v, nil
	}
	k := Kind{New: newV, EventID: p.EventID, EventType: p.EventType, FormEventID: p.FormEventID, FormEventType: p.FormEventType}
	if p.Body == FormatForm {
		k.BodyFormat = FormatForm
	}
	return k, true
}

// Types lists the registered verifier types, sorted.
func Types() []string {
	out := make([]string, 0, len(presets))
	for t := range presets {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
