package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/jsonpath"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// maxIDLen bounds event ids and types: they become Redis keys and task ids.
const maxIDLen = 256

// payload lazily parses the body once for every field read from it, in the
// source's body format: a request header never chooses how a signed body
// is read.
type payload struct {
	body     []byte
	format   string // verify.FormatJSON or verify.FormatForm
	checked  bool
	jsonOK   bool
	form     url.Values
	formErr  error
	formDone bool
}

// isJSON reports whether the body was checked and found to be JSON.
func (p *payload) isJSON() bool { return p.checked && p.jsonOK }

func newPayload(body []byte, format string) *payload {
	return &payload{body: body, format: format}
}

func (p *payload) parseForm() error {
	if !p.formDone {
		p.form, p.formErr = url.ParseQuery(string(p.body))
		p.formDone = true
	}
	return p.formErr
}

// field reads f. On a form body a JSON path names a form field (Twilio).
// A location given twice (a repeated form field, a JSON key repeated or in
// two letter cases along the path) is refused: a parser reading the other
// copy must never see another id or type than the one we dedupe and route on.
func (p *payload) field(h http.Header, f verify.Field, what string) (string, error) {
	var v string
	switch {
	case f.Header != "":
		vs := h.Values(f.Header)
		if len(vs) > 1 {
			return "", fmt.Errorf("%w: %s header %s sent more than once", webhook.ErrMalformedPayload, what, f.Header)
		}
		if len(vs) == 1 {
			v = vs[0]
		}
		if v == "" {
			return "", absent("%s header %s missing", what, f.Header)
		}
	case p.format == verify.FormatForm:
		if p.parseForm() != nil {
			return "", fmt.Errorf("%w: body is not form-encoded", webhook.ErrMalformedPayload)
		}
		vs := p.form[f.JSON]
		if len(vs) > 1 {
			return "", fmt.Errorf("%w: %s form field %s sent more than once", webhook.ErrMalformedPayload, what, f.JSON)
		}
		if len(vs) == 0 || vs[0] == "" {
			return "", absent("%s form field %s missing", what, f.JSON)
		}
		v = vs[0]
	default:
		if !p.checked {
			// gjson's validator agrees with encoding/json's (FuzzValidAgrees)
			// at a third of the cost; its answer travels on as
			// Event.BodyIsJSON, so the body is checked once.
			p.jsonOK = gjson.ValidBytes(p.body)
			p.checked = true
		}
		if !p.jsonOK {
			return "", fmt.Errorf("%w: body is not valid JSON", webhook.ErrMalformedPayload)
		}
		r, err := jsonpath.Get(p.body, f.JSON)
		switch {
		case err != nil:
			return "", fmt.Errorf("%w: %s field %s: %v", webhook.ErrMalformedPayload, what, f.JSON, err)
		case !r.Exists() || r.Type == gjson.Null:
			return "", absent("%s field %s missing", what, f.JSON)
		case r.Type == gjson.String:
			v = r.Str
		default:
			v = r.Raw // a number or object is used as its JSON text: Discord type 1 -> "1"
		}
		if v == "" {
			return "", fmt.Errorf("%w: %s field %s is empty", webhook.ErrMalformedPayload, what, f.JSON)
		}
	}
	if len(v) > maxIDLen || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: %s is too long or not printable text", webhook.ErrMalformedPayload, what)
	}
	return v, nil
}

// eventID reads the id, or hashes the signed content where the provider
// sends no id: one delivery is then one event. signed is what the signature
// covers when that is not the raw body (Twilio signs decoded, sorted form
// parameters, so reordered or re-encoded parameters keep the signature
// valid); nil means the body's bytes.
func (p *payload) eventID(h http.Header, f verify.Field, signed []byte) (string, error) {
	if f.IsZero() {
		if signed == nil {
			signed = p.body
		}
		sum := sha256.Sum256(signed)
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}
	return p.first(h, f, "event id")
}

// absentError is a location that is not there: the one case where first
// tries the next location (never when a value is present but refused).
type absentError struct{ msg string }

func (e absentError) Error() string { return webhook.ErrMalformedPayload.Error() + ": " + e.msg }
func (e absentError) Unwrap() error { return webhook.ErrMalformedPayload }

func absent(format string, args ...any) error { return absentError{fmt.Sprintf(format, args...)} }

// first reads f, falling back along f.Else while a location is absent.
func (p *payload) first(h http.Header, f verify.Field, what string) (string, error) {
	v, err := p.field(h, f, what)
	if f.Else != nil && errors.As(err, new(absentError)) {
		if v2, err2 := p.first(h, *f.Else, what); err2 == nil {
			return v2, nil
		}
	}
	return v, err
}

func (p *payload) eventType(h http.Header, f verify.Field) (string, error) {
	if f.IsZero() {
		return "", nil
	}
	return p.first(h, f, "event type")
}
