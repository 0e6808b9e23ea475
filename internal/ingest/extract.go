package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// maxIDLen bounds event ids and types: they become Redis keys and task ids.
const maxIDLen = 256

// payload lazily parses the body once for every field read from it.
type payload struct {
	body     []byte
	ctype    string
	checked  bool
	jsonOK   bool
	form     url.Values
	formDone bool
}

func newPayload(body []byte, contentType string) *payload {
	mt, _, _ := mime.ParseMediaType(contentType)
	return &payload{body: body, ctype: mt}
}

// field reads f. A JSON path reads a form field of the same name when the
// body is application/x-www-form-urlencoded (Twilio).
func (p *payload) field(h http.Header, f verify.Field, what string) (string, error) {
	var v string
	switch {
	case f.Header != "":
		v = h.Get(f.Header)
		if v == "" {
			return "", fmt.Errorf("%w: %s header %s missing", webhook.ErrMalformedPayload, what, f.Header)
		}
	case p.ctype == "application/x-www-form-urlencoded":
		if !p.formDone {
			p.form, _ = url.ParseQuery(string(p.body))
			p.formDone = true
		}
		if v = p.form.Get(f.JSON); v == "" {
			return "", fmt.Errorf("%w: %s form field %s missing", webhook.ErrMalformedPayload, what, f.JSON)
		}
	default:
		if !p.checked {
			p.jsonOK = gjson.ValidBytes(p.body)
			p.checked = true
		}
		if !p.jsonOK {
			return "", fmt.Errorf("%w: body is not valid JSON", webhook.ErrMalformedPayload)
		}
		r := gjson.GetBytes(p.body, gjsonPath(f.JSON))
		switch {
		case !r.Exists() || r.Type == gjson.Null:
			return "", fmt.Errorf("%w: %s field %s missing", webhook.ErrMalformedPayload, what, f.JSON)
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

// eventID reads the id, or hashes the body where the provider sends none:
// one HTTP delivery is then one event.
func (p *payload) eventID(h http.Header, f verify.Field) (string, error) {
	if f.IsZero() {
		sum := sha256.Sum256(p.body)
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}
	return p.first(h, f, "event id")
}

// first reads f, falling back along f.Else while a location is absent.
func (p *payload) first(h http.Header, f verify.Field, what string) (string, error) {
	v, err := p.field(h, f, what)
	if err != nil && f.Else != nil {
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

// gjsonPath turns a config path (dot-separated keys, numeric segments index
// arrays) into gjson syntax, escaping gjson's own operators so a key such as
// "a*b" is read literally.
func gjsonPath(p string) string {
	if !strings.ContainsAny(p, `*?|#@!\{}[],:"=<>%`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if strings.IndexByte(`*?|#@!\{}[],:"=<>%`, p[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
