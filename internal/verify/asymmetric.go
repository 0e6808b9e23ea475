package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// asymmetric verifies a signature made with the provider's private key
// against a configured public key (Ed25519, ECDSA P-256 or RSA with SHA-256,
// PKCS#1 v1.5 or PSS), over the same templates as the HMAC primitives. Each
// secret is a public key: PEM, base64 DER (PKIX), or for Ed25519 also the
// raw 32 bytes in hex or base64.
type asymmetric struct {
	name  string
	p     Params
	keys  []crypto.PublicKey
	parts []string
	url   string
	tol   time.Duration
}

func newAsymmetric(s Spec, p Params) (Verifier, error) {
	if err := checkSigParams(s.Type, p); err != nil {
		return nil, err
	}
	v := &asymmetric{name: s.Type, p: p, url: s.URL, tol: orDefault(s.Tolerance, p.Tolerance)}
	for i, sec := range s.Secrets {
		k, err := parsePublicKey(p.KeyType, string(sec))
		if err != nil {
			return nil, fmt.Errorf("%s: secret %d: %v", s.Type, i, err)
		}
		v.keys = append(v.keys, k)
	}
	tmpl := p.Template
	if tmpl == "" {
		tmpl = "{body}"
	}
	var err error
	if v.parts, err = splitPlaceholders(tmpl, templatePlaceholders...); err != nil {
		return nil, fmt.Errorf("%s: template: %w", s.Type, err)
	}
	for _, ph := range v.parts {
		if (ph == "{timestamp}" && p.TimestampHeader == "") || ph == "{id}" || ph == "{url}" {
			return nil, fmt.Errorf("%s: asymmetric templates take {body}, {method} and {timestamp} with a timestamp header", s.Type)
		}
	}
	return v, nil
}

// parsePublicKey parses a public key of the given type; its errors never
// quote the input.
func parsePublicKey(typ, s string) (crypto.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else if typ == "ed25519" && len(s) == 2*ed25519.PublicKeySize {
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("public key is not hex")
		}
		return ed25519.PublicKey(b), nil
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("public key is not PEM, base64 or hex")
		}
		if typ == "ed25519" && len(b) == ed25519.PublicKeySize {
			return ed25519.PublicKey(b), nil
		}
		der = b
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if k, err2 := x509.ParsePKCS1PublicKey(der); err2 == nil {
			pub = k
		} else {
			return nil, fmt.Errorf("public key is not a DER public key")
		}
	}
	ok := false
	switch typ {
	case "ed25519":
		_, ok = pub.(ed25519.PublicKey)
	case "ecdsa-p256":
		k, isEC := pub.(*ecdsa.PublicKey)
		ok = isEC && k.Curve.Params().Name == "P-256"
	case "rsa-pkcs1", "rsa-pss":
		k, isRSA := pub.(*rsa.PublicKey)
		ok = isRSA && k.N.BitLen() >= 2048
	default:
		return nil, fmt.Errorf("key type %q: want ed25519, ecdsa-p256, rsa-pkcs1 or rsa-pss", typ)
	}
	if !ok {
		return nil, fmt.Errorf("public key is not %s (RSA keys: 2048 bits or more)", typ)
	}
	return pub, nil
}

func (v *asymmetric) Verify(r *Request) error {
	vals, _, present, err := sigValues(v.p, r)
	if !present {
		return missing(v.name, "no signature")
	}
	if err != nil {
		return invalid(v.name, err.Error())
	}
	var ts string
	if v.p.TimestampHeader != "" {
		if ts = r.Header.Get(v.p.TimestampHeader); ts == "" {
			return missing(v.name, "no "+v.p.TimestampHeader+" header")
		}
	}
	var msg []byte
	for _, p := range v.parts {
		switch p {
		case "{body}":
			msg = append(msg, r.Body...)
		case "{timestamp}":
			msg = append(msg, ts...)
		case "{method}":
			msg = append(msg, http.MethodPost...)
		default:
			msg = append(msg, p...)
		}
	}
	digest := sha256.Sum256(msg)
	match := false
	for _, s := range vals {
		sig, ok := decodeSig(v.p.Encoding, s)
		if !ok {
			continue
		}
		for _, k := range v.keys {
			if verifyWith(v.p.KeyType, k, msg, digest[:], sig) {
				match = true
			}
		}
	}
	if !match {
		return invalid(v.name, "signature does not match")
	}
	if ts == "" || v.tol <= 0 {
		return nil
	}
	t, ok := parseStamp(v.p, ts)
	if !ok {
		return invalid(v.name, "malformed timestamp")
	}
	return checkAge(t, r.Now, v.tol, v.p.AllowFuture)
}

func verifyWith(typ string, k crypto.PublicKey, msg, digest, sig []byte) bool {
	switch typ {
	case "ed25519":
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.(ed25519.PublicKey), msg, sig)
	case "ecdsa-p256":
		return ecdsa.VerifyASN1(k.(*ecdsa.PublicKey), digest, sig)
	case "rsa-pkcs1":
		return rsa.VerifyPKCS1v15(k.(*rsa.PublicKey), crypto.SHA256, digest, sig) == nil
	case "rsa-pss":
		return rsa.VerifyPSS(k.(*rsa.PublicKey), crypto.SHA256, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	}
	return false
}
