package verify

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"golang.org/x/text/unicode/norm"
)

// Params are a preset's primitive parameters: the provider's fixed choices,
// written once in the catalogue. Zero values mean "not used".
type Params struct {
	// Where the signature is: every one of Headers present, or every header
	// whose name starts with HeaderFamily (DocuSign's X-DocuSign-Signature-1..N),
	// or the query parameter Query. Prefix is a literal the value must start
	// with ("sha256="), stripped before parsing.
	Headers      []string `json:"headers,omitempty" yaml:"headers,omitempty"`
	HeaderFamily string   `json:"header_family,omitempty" yaml:"header_family,omitempty"`
	Query        string   `json:"query,omitempty" yaml:"query,omitempty"`
	Prefix       string   `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	// Fields, when set, splits the value into key-value items ("t=1,v1=ab"):
	// items are separated by Fields[0], key and value by Fields[1]. SigKey
	// names the signature items (several are tried: rotation) and TSKey the
	// timestamp item. Without Fields the whole value is one signature, or
	// several separated by Multi.
	Fields string `json:"fields,omitempty" yaml:"fields,omitempty"`
	SigKey string `json:"sig_key,omitempty" yaml:"sig_key,omitempty"`
	TSKey  string `json:"ts_key,omitempty" yaml:"ts_key,omitempty"`
	Multi  string `json:"multi,omitempty" yaml:"multi,omitempty"`
	// MultiTS makes the first item of a Multi list the timestamp
	// (Recurly's "ts,sig,sig").
	MultiTS bool `json:"multi_ts,omitempty" yaml:"multi_ts,omitempty"`

	Algorithm        string `json:"algorithm,omitempty" yaml:"algorithm,omitempty"`
	AccountAlgorithm bool   `json:"account_algorithm,omitempty" yaml:"account_algorithm,omitempty"` // the account picks it: a source's algorithm overrides       // sha1 | sha256 (default) | sha512
	Encoding         string `json:"encoding,omitempty" yaml:"encoding,omitempty"`                   // hex (default) | base64 | base64url
	SecretEncoding   string `json:"secret_encoding,omitempty" yaml:"secret_encoding,omitempty"`     // raw (default) | base64 | hex | nfkd (Unicode NFKD of the text)

	// Template is what is signed, over {body} {timestamp} {id} {method} {url}
	// (default "{body}"). {url} is the source's configured url; {method} is POST.
	// The digest primitive hashes the template with the secret in it, at
	// {secret}, instead of keying an HMAC.
	Template string `json:"template,omitempty" yaml:"template,omitempty"`
	// The timestamp: TSKey, else TimestampHeader, else the body path
	// TimestampJSON; in seconds unless Millis. Tolerance is the default
	// window (Spec.Tolerance overrides); AllowFuture checks age only, where
	// the provider's SDK does.
	TimestampHeader string        `json:"timestamp_header,omitempty" yaml:"timestamp_header,omitempty"`
	TimestampJSON   string        `json:"timestamp_j_s_o_n,omitempty" yaml:"timestamp_json,omitempty"`
	Millis          bool          `json:"millis,omitempty" yaml:"millis,omitempty"`
	TimeLayout      string        `json:"time_layout,omitempty" yaml:"time_layout,omitempty"` // a Go time layout instead of a Unix number (RFC 3339 is also accepted)
	Tolerance       time.Duration `json:"tolerance_ns,omitempty" yaml:"tolerance,omitempty"`
	AllowFuture     bool          `json:"allow_future,omitempty" yaml:"allow_future,omitempty"`
	IDHeader        string        `json:"id_header,omitempty" yaml:"id_header,omitempty"` // header substituted for {id}
	// NonceHeader is the header substituted for {nonce}, a per-delivery
	// random value some providers sign beside the id (Sinch, Moov).
	NonceHeader string `json:"nonce_header,omitempty" yaml:"nonce_header,omitempty"`

	// Asymmetric: ed25519 | ecdsa-p256 | rsa-pkcs1 | rsa-pss (SHA-256).
	KeyType string `json:"key_type,omitempty" yaml:"key_type,omitempty"`
	// Challenge names the GET handshake the provider sends (see challenges).
	Challenge string `json:"challenge,omitempty" yaml:"challenge,omitempty"`
	// Probe names the unsigned POST handshake the provider sends (see probes).
	Probe string `json:"probe,omitempty" yaml:"probe,omitempty"`
	// Shared secret: header (value equals a secret, after Prefix) | basic.
	Scheme string `json:"scheme,omitempty" yaml:"scheme,omitempty"`
}

// hmacSig is the HMAC primitive family (hmac-body, hmac-timestamp, hmac-url):
// locate the signature, rebuild the signed bytes from the template, compare
// in constant time, then check the timestamp.
type hmacSig struct {
	name  string
	p     Params
	keys  [][]byte
	h     func() hash.Hash
	parts []string
	url   string
	tol   time.Duration
}

func newHMACSig(primitive string) func(Spec, Params) (Verifier, error) {
	return func(s Spec, p Params) (Verifier, error) {
		if s.Algorithm != "" {
			if !p.AccountAlgorithm {
				return nil, fmt.Errorf("%s: the provider fixes the algorithm; algorithm is for hmac and presets whose account chooses it", s.Type)
			}
			p.Algorithm = s.Algorithm
		}
		h, err := HashFunc(p.Algorithm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Type, err)
		}
		keys, err := decodeSecrets(s.Secrets, p.SecretEncoding)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Type, err)
		}
		v := &hmacSig{name: s.Type, p: p, keys: keys, h: h, url: s.URL, tol: orDefault(s.Tolerance, p.Tolerance)}
		tmpl := p.Template
		if tmpl == "" {
			tmpl = "{body}"
		}
		if v.parts, err = splitPlaceholders(tmpl, hmacPlaceholders...); err != nil {
			return nil, fmt.Errorf("%s: template: %w", s.Type, err)
		}
		if err := checkSigParams(s.Type, p); err != nil {
			return nil, err
		}
		stamped := p.TSKey != "" || p.MultiTS || p.TimestampHeader != "" || p.TimestampJSON != ""
		for _, ph := range v.parts {
			switch {
			case ph == "{timestamp}" && !stamped:
				return nil, fmt.Errorf("%s: template uses {timestamp} but no timestamp location is set", s.Type)
			case ph == "{id}" && p.IDHeader == "":
				return nil, fmt.Errorf("%s: template uses {id} but no id header is set", s.Type)
			case ph == "{nonce}" && p.NonceHeader == "":
				return nil, fmt.Errorf("%s: template uses {nonce} but no nonce header is set", s.Type)
			case ph == "{url}" && s.URL == "":
				return nil, fmt.Errorf("%s: url is required: the exact public URL configured at the provider", s.Type)
			}
		}
		switch primitive {
		case "hmac-body":
			if tmpl != "{body}" || stamped {
				return nil, fmt.Errorf("%s: hmac-body signs the body alone", s.Type)
			}
		case "hmac-timestamp":
			if !stamped {
				return nil, fmt.Errorf("%s: hmac-timestamp needs a timestamp location", s.Type)
			}
		case "hmac-url":
			if !strings.Contains(tmpl, "{url}") {
				return nil, fmt.Errorf("%s: hmac-url needs {url} in its template", s.Type)
			}
		}
		if (primitive == "digest") != strings.Contains(tmpl, "{secret}") {
			return nil, fmt.Errorf("%s: {secret} belongs in digest templates, and only there", s.Type)
		}
		return v, nil
	}
}

func checkSigParams(name string, p Params) error {
	if len(p.Headers) == 0 && p.HeaderFamily == "" && p.Query == "" {
		return fmt.Errorf("%s: no signature location", name)
	}
	if p.Fields != "" && (len(p.Fields) != 2 || p.SigKey == "") {
		return fmt.Errorf("%s: fields needs two separators and a signature key", name)
	}
	if p.MultiTS && p.Multi == "" {
		return fmt.Errorf("%s: a leading timestamp needs multi", name)
	}
	if p.TSKey != "" && p.Fields == "" {
		return fmt.Errorf("%s: a timestamp key needs fields", name)
	}
	switch p.Encoding {
	case "", "hex", "base64", "base64url":
	default:
		return fmt.Errorf("%s: encoding %q: want hex, base64 or base64url", name, p.Encoding)
	}
	return nil
}

// templatePlaceholders are what the preset primitives can fill in.
var templatePlaceholders = []string{"{body}", "{timestamp}", "{id}", "{method}", "{url}", "{secret}"}

// hmacPlaceholders adds what only the HMAC family fills: {nonce}.
var hmacPlaceholders = append(slices.Clone(templatePlaceholders), "{nonce}")

// splitPlaceholders splits "{timestamp}.{body}" into ["{timestamp}", ".", "{body}"],
// refusing any placeholder not in allowed (the ones the caller can fill).
func splitPlaceholders(t string, allowed ...string) ([]string, error) {
	var out []string
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			out = append(out, t)
			break
		}
		if i > 0 {
			out = append(out, t[:i])
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed {")
		}
		ph := t[i : i+j+1]
		if !slices.Contains(allowed, ph) {
			return nil, fmt.Errorf("unknown placeholder %s (want one of %s)", ph, strings.Join(allowed, ", "))
		}
		out = append(out, ph)
		t = t[i+j+1:]
	}
	return out, nil
}

// decodeSecrets turns secrets into keys: their bytes, or their base64 or hex
// decoding where the provider documents the secret that way.
func decodeSecrets(secrets []Secret, enc string) ([][]byte, error) {
	out := make([][]byte, len(secrets))
	for i, s := range secrets {
		var err error
		switch enc {
		case "", "raw":
			out[i] = []byte(s)
		case "base64":
			out[i], err = base64.StdEncoding.DecodeString(string(s))
		case "hex":
			out[i], err = hex.DecodeString(string(s))
		case "nfkd":
			out[i] = []byte(norm.NFKD.String(string(s)))
		default:
			return nil, fmt.Errorf("secret encoding %q: want raw, base64, hex or nfkd", enc)
		}
		if err != nil || len(out[i]) == 0 {
			return nil, fmt.Errorf("secret %d is not valid %s", i, enc)
		}
	}
	return out, nil
}

// sigValues returns the raw signature values (at most maxSignatures) and the
// timestamp item, if the value carries one. ok is false when no signature
// location is present at all.
func sigValues(p Params, r *Request) (vals []string, ts string, present bool, err error) {
	var raws []string
	switch {
	case p.HeaderFamily != "":
		fam := http.CanonicalHeaderKey(p.HeaderFamily)
		for k, vs := range r.Header {
			if strings.HasPrefix(http.CanonicalHeaderKey(k), fam) && len(vs) > 0 && vs[0] != "" {
				raws = append(raws, vs[0])
			}
		}
	case p.Query != "":
		if q := queryValue(r.RawQuery, p.Query); q != "" {
			raws = append(raws, q)
		}
	default:
		for _, h := range p.Headers {
			if v := r.Header.Get(h); v != "" {
				raws = append(raws, v)
			}
		}
	}
	if len(raws) == 0 {
		return nil, "", false, nil
	}
	for _, raw := range raws {
		val, ok := strings.CutPrefix(strings.TrimSpace(raw), p.Prefix)
		if !ok {
			return nil, "", true, fmt.Errorf("signature lacks the %q prefix", p.Prefix)
		}
		switch {
		case p.Fields != "":
			for item := range strings.SplitSeq(val, p.Fields[:1]) {
				k, v, ok := strings.Cut(strings.TrimSpace(item), p.Fields[1:])
				switch {
				case !ok:
				case k == p.SigKey:
					vals = append(vals, v)
				case p.TSKey != "" && k == p.TSKey:
					ts = v
				}
			}
		case p.Multi != "":
			first := p.MultiTS
			for v := range strings.SplitSeq(val, p.Multi) {
				if first {
					ts, first = strings.TrimSpace(v), false
					continue
				}
				if v = strings.TrimSpace(v); v != "" {
					vals = append(vals, v)
				}
			}
		default:
			vals = append(vals, val)
		}
		if len(vals) >= maxSignatures {
			vals = vals[:maxSignatures]
			break
		}
	}
	return vals, ts, true, nil
}

// queryValue returns the first value of key in a raw query without
// allocating a map for attacker-sized queries.
func queryValue(raw, key string) string {
	for item := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(item, "=")
		if k == key {
			return v
		}
	}
	return ""
}

func decodeSig(enc, s string) ([]byte, bool) {
	switch enc {
	case "base64":
		return decodeB64Strict(s)
	case "base64url":
		s = strings.TrimRight(s, "=")
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		return b, err == nil && len(b) > 0
	}
	return decodeHex(s)
}

func (v *hmacSig) Verify(r *Request) error {
	vals, ts, present, err := sigValues(v.p, r)
	if !present {
		return missing(v.name, "no signature")
	}
	if err != nil {
		return invalid(v.name, err.Error())
	}
	sigs := make([][]byte, 0, len(vals))
	for _, s := range vals {
		if b, ok := decodeSig(v.p.Encoding, s); ok {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return invalid(v.name, "no well-formed signature")
	}
	stamped := v.p.TSKey != "" || v.p.MultiTS || v.p.TimestampHeader != "" || v.p.TimestampJSON != ""
	if stamped {
		switch {
		case v.p.TSKey != "" || v.p.MultiTS:
			if ts == "" {
				return missing(v.name, "no timestamp in the signature header")
			}
		case v.p.TimestampHeader != "":
			if ts = r.Header.Get(v.p.TimestampHeader); ts == "" {
				return missing(v.name, "no "+v.p.TimestampHeader+" header")
			}
		default:
			// The body is signed, so a timestamp read from it is checked
			// only after the signature matched, below.
			res := gjson.GetBytes(r.Body, v.p.TimestampJSON)
			if res.Type != gjson.Number {
				return invalid(v.name, "body lacks a numeric "+v.p.TimestampJSON)
			}
			ts = res.Raw
		}
	}
	if v.p.NonceHeader != "" && slices.Contains(v.parts, "{nonce}") && r.Header.Get(v.p.NonceHeader) == "" {
		return missing(v.name, "no "+v.p.NonceHeader+" header")
	}
	parts := fillTemplate(v.parts, r.Body, map[string]string{
		"{timestamp}": ts,
		"{id}":        r.Header.Get(v.p.IDHeader),
		"{nonce}":     r.Header.Get(v.p.NonceHeader),
		"{method}":    http.MethodPost,
		"{url}":       v.url,
	})
	if !v.match(sigs, parts) {
		return invalid(v.name, "signature does not match")
	}
	if !stamped || v.tol <= 0 {
		return nil
	}
	t, ok := parseStamp(v.p, ts)
	if !ok {
		return invalid(v.name, "malformed timestamp")
	}
	return checkAge(t, r.Now, v.tol, v.p.AllowFuture)
}

// match reports whether any signature is the HMAC (or, for digest, the
// hash with the secret at {secret}) of the parts under any key.
func (v *hmacSig) match(sigs, parts [][]byte) bool {
	if !slices.Contains(v.parts, "{secret}") {
		return anyMACOf(v.h, v.keys, sigs, parts...)
	}
	ok := false
	for _, k := range v.keys {
		d := v.h()
		for i, p := range v.parts {
			if p == "{secret}" {
				d.Write(k)
			} else {
				d.Write(parts[i])
			}
		}
		sum := d.Sum(nil)
		for _, s := range sigs {
			if hmac.Equal(sum, s) {
				ok = true
			}
		}
	}
	return ok
}

// parseStamp reads a timestamp: Unix seconds or milliseconds, or a layout.
// A layout without a zone is read as UTC.
func parseStamp(p Params, ts string) (time.Time, bool) {
	if p.TimeLayout != "" {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			return t, true
		}
		t, err := time.Parse(p.TimeLayout, ts)
		return t, err == nil
	}
	n, ok := parseInt(ts)
	if !ok {
		return time.Time{}, false
	}
	if p.Millis {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}
