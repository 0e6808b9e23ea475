package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/hookq/hookq/internal/verify"
)

// signers sign for the catalogue's primitives, from the preset's parameters.
var signers = map[string]func(http.Header, verify.Preset, Request) error{
	"hmac-body":      signHMAC,
	"hmac-timestamp": signHMAC,
	"hmac-url":       signHMAC,
	"digest":         signHMAC,
	"asymmetric":     signAsymmetric,
	"shared-secret":  signShared,
}

// stamp formats r.Now the way the preset's timestamp is written.
func stamp(p verify.Params, r Request) string {
	switch {
	case p.TimeLayout != "":
		return r.Now.UTC().Format(p.TimeLayout)
	case p.Millis:
		return strconv.FormatInt(r.Now.UnixMilli(), 10)
	}
	return strconv.FormatInt(r.Now.Unix(), 10)
}

// message fills the preset's template.
func message(p verify.Params, r Request, ts string) string {
	t := p.Template
	if t == "" {
		t = "{body}"
	}
	return strings.NewReplacer("{timestamp}", ts, "{id}", r.EventID, "{method}", http.MethodPost,
		"{url}", r.URL, "{body}", string(r.Body)).Replace(t)
}

func encode(enc string, b []byte) string {
	switch enc {
	case "base64":
		return base64.StdEncoding.EncodeToString(b)
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// place writes the signature (and timestamp) where the preset reads them.
func place(h http.Header, p verify.Params, sig, ts string) error {
	name := p.HeaderFamily + "1"
	if len(p.Headers) > 0 {
		name = p.Headers[0]
	}
	if p.HeaderFamily == "" && len(p.Headers) == 0 {
		return errors.New("the signature goes in the URL's query, which send does not build")
	}
	if p.TimestampJSON != "" {
		return errors.New("the timestamp is inside the body: pass a body that has it")
	}
	v := sig
	if p.Fields != "" {
		v = p.SigKey + p.Fields[1:] + sig
		if p.TSKey != "" {
			v = p.TSKey + p.Fields[1:] + ts + p.Fields[:1] + v
		}
	}
	if p.MultiTS {
		v = ts + p.Multi + v
	}
	h.Set(name, p.Prefix+v)
	if p.TimestampHeader != "" {
		h.Set(p.TimestampHeader, ts)
	}
	return nil
}

func signHMAC(h http.Header, pr verify.Preset, r Request) error {
	p := pr.Params
	hf, err := verify.HashFunc(p.Algorithm)
	if err != nil {
		return err
	}
	key := []byte(r.Secret)
	switch p.SecretEncoding {
	case "base64":
		key, err = base64.StdEncoding.DecodeString(r.Secret)
	case "hex":
		key, err = hex.DecodeString(r.Secret)
	case "nfkd":
		key = []byte(norm.NFKD.String(r.Secret))
	}
	if err != nil {
		return fmt.Errorf("secret is not %s", p.SecretEncoding)
	}
	if strings.Contains(p.Template, "{url}") && r.URL == "" {
		return errors.New("the preset signs the URL: set the source's url")
	}
	if r.Algorithm != "" { // the account chooses (Cloudinary)
		if hf, err = verify.HashFunc(r.Algorithm); err != nil {
			return err
		}
	}
	ts := stamp(p, r)
	if p.NonceHeader != "" {
		// A fresh nonce per delivery, as the provider sends; it is hex, so
		// substituting it first leaves no placeholder behind.
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		nonce := hex.EncodeToString(b)
		p.Template = strings.ReplaceAll(p.Template, "{nonce}", nonce)
		h.Set(p.NonceHeader, nonce)
	}
	var sum []byte
	if before, after, ok := strings.Cut(p.Template, "{secret}"); ok {
		d := hf() // a keyed digest, not an HMAC: the provider's scheme
		fill := func(t string) []byte {
			if t == "" {
				return nil
			}
			q := p
			q.Template = t
			return []byte(message(q, r, ts))
		}
		d.Write(fill(before))
		d.Write(key)
		d.Write(fill(after))
		sum = d.Sum(nil)
	} else {
		m := hmac.New(hf, key)
		m.Write([]byte(message(p, r, ts)))
		sum = m.Sum(nil)
	}
	if p.IDHeader != "" {
		h.Set(p.IDHeader, r.EventID)
	}
	return place(h, p, encode(p.Encoding, sum), ts)
}

func signShared(h http.Header, pr verify.Preset, r Request) error {
	p := pr.Params
	if p.Scheme == "basic" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(r.Secret)))
		return nil
	}
	h.Set(p.Headers[0], p.Prefix+r.Secret)
	return nil
}

// signAsymmetric signs with r.Key, the provider's private key, which only
// tests and local setups have: a source's config holds the public key.
func signAsymmetric(h http.Header, pr verify.Preset, r Request) error {
	p := pr.Params
	if r.Key == nil {
		return errors.New("signing needs the private key, which the config does not hold")
	}
	ts := stamp(p, r)
	msg := []byte(message(p, r, ts))
	digest := sha256.Sum256(msg)
	var sig []byte
	var err error
	switch k := r.Key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest[:])
	case *rsa.PrivateKey:
		if p.KeyType == "rsa-pss" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], nil)
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		}
	default:
		return fmt.Errorf("unsupported key %T", r.Key)
	}
	if err != nil {
		return err
	}
	return place(h, p, encode(p.Encoding, sig), ts)
}
