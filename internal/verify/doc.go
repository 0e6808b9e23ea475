package verify

import (
	"fmt"
	"strings"
	"time"
)

// SignatureText says where a preset's signature is and how it is made.
func (p Preset) SignatureText() string {
	if p.Signature != "" {
		return p.Signature
	}
	if base, ok := presets[p.Primitive]; ok && base.Name != p.Name {
		return base.SignatureText() // a preset over a hand-written scheme
	}
	prm := p.Params
	var where []string
	for _, h := range prm.Headers {
		where = append(where, "`"+h+"`")
	}
	if prm.HeaderFamily != "" {
		where = append(where, "`"+prm.HeaderFamily+"1…N`")
	}
	if prm.Query != "" {
		where = append(where, "query `"+prm.Query+"`")
	}
	s := strings.Join(where, " or ")
	if prm.Scheme == "basic" {
		return "`Authorization: Basic …` (user:password)"
	}
	if p.Primitive == "shared-secret" {
		return s + " (" + strings.TrimSpace(prm.Prefix+" secret") + ", equality)"
	}
	alg := strings.ToUpper(cmpOr(prm.Algorithm, "sha256"))
	kind := "HMAC-" + alg
	switch p.Primitive {
	case "digest":
		kind = alg + " digest"
	case "asymmetric":
		kind = prm.KeyType
	}
	value := cmpOr(prm.Encoding, "hex")
	if prm.Fields != "" {
		value = prm.SigKey + prm.Fields[1:] + "<" + value + ">"
		if prm.TSKey != "" {
			value = prm.TSKey + prm.Fields[1:] + "…" + prm.Fields[:1] + value
		}
	}
	s += ": `" + prm.Prefix + value + "`"
	if prm.TimestampHeader != "" {
		s += ", `" + prm.TimestampHeader + "`"
	}
	tmpl := cmpOr(prm.Template, "{body}")
	return s + " (" + kind + " of `" + strings.ReplaceAll(tmpl, "\n", `\n`) + "`)"
}

// WindowText says how old (or new) a delivery may be.
func (p Preset) WindowText() string {
	base, bespoke := presets[p.Primitive]
	switch {
	case p.Window != "":
		return p.Window
	case bespoke && base.Name != p.Name:
		return base.WindowText()
	case p.Params.Tolerance == 0:
		if p.Params.TSKey != "" || p.Params.TimestampHeader != "" {
			return "none (set `tolerance` to check)"
		}
		return "none"
	case p.Params.AllowFuture:
		return shortDur(p.Params.Tolerance) + ", age only"
	}
	return "±" + shortDur(p.Params.Tolerance)
}

// shortDur prints 10m rather than 10m0s.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FieldText describes an id or type location.
func FieldText(f Field, id bool) string {
	if f.IsZero() {
		if id {
			return "sha256 of body"
		}
		return "none"
	}
	s := "`" + f.Header + "`"
	if f.JSON != "" {
		s = "body `" + f.JSON + "`"
	}
	if f.Else != nil {
		s += ", else " + FieldText(*f.Else, id)
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// MarkdownTable is the README's provider table, generated from the catalogue.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| type | primitive | signature | tolerance (default) | event id · type defaults | signed | not signed | setup hint |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, p := range Catalogue() {
		setup := p.Setup
		if p.Handshake != "" && !strings.Contains(setup, "answered") {
			setup = strings.TrimPrefix(setup+"; handshake: "+p.Handshake, "; ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s · %s | %s | %s | %s |\n", p.Name, p.Primitive,
			esc(p.SignatureText()), esc(p.WindowText()), esc(FieldText(p.EventID, true)), esc(FieldText(p.EventType, false)),
			esc(p.Covers), esc(p.Uncovered), esc(setup))
	}
	return b.String()
}
