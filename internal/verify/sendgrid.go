package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// sendgrid verifies SendGrid's signed Event Webhook:
// X-Twilio-Email-Event-Webhook-Signature is a base64 ASN.1 ECDSA P-256
// signature of SHA-256(X-Twilio-Email-Event-Webhook-Timestamp + body),
// checked against the verification key SendGrid shows (base64 DER, PKIX;
// a PEM block is accepted too). The body's trailing CRLF is part of what is
// signed, so the raw bytes must be used. SendGrid's SDKs check no timestamp
// window, so by default none is enforced; a Tolerance turns on a check in
// both directions.
type sendgrid struct {
	keys []*ecdsa.PublicKey
	tol  time.Duration
}

func newSendGrid(s Spec) (Verifier, error) {
	v := &sendgrid{tol: s.Tolerance}
	for i, sec := range s.Secrets {
		k, err := parseECPublicKey(string(sec))
		if err != nil {
			return nil, fmt.Errorf("sendgrid: secret %d: %v", i, err)
		}
		v.keys = append(v.keys, k)
	}
	return v, nil
}

// parseECPublicKey parses a P-256 public key given as base64 DER (PKIX) or
// as PEM. Its errors never quote the input.
func parseECPublicKey(s string) (*ecdsa.PublicKey, error) {
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("verification key is not base64")
		}
		der = b
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("verification key is not a DER public key")
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("verification key is not an ECDSA P-256 key")
	}
	return k, nil
}

func (v *sendgrid) Verify(r *Request) error {
	h := r.Header.Get("X-Twilio-Email-Event-Webhook-Signature")
	ts := r.Header.Get("X-Twilio-Email-Event-Webhook-Timestamp")
	if h == "" {
		return missing("sendgrid", "no X-Twilio-Email-Event-Webhook-Signature header")
	}
	if ts == "" {
		return missing("sendgrid", "no X-Twilio-Email-Event-Webhook-Timestamp header")
	}
	sig, ok := decodeB64Strict(h)
	if !ok {
		return invalid("sendgrid", "malformed signature")
	}
	d := sha256.New()
	d.Write([]byte(ts))
	d.Write(r.Body)
	digest := d.Sum(nil)
	match := false
	for _, k := range v.keys {
		if ecdsa.VerifyASN1(k, digest, sig) {
			match = true
		}
	}
	if !match {
		return invalid("sendgrid", "signature does not match")
	}
	if v.tol > 0 {
		n, ok := parseInt(ts)
		if !ok {
			return invalid("sendgrid", "malformed timestamp")
		}
		return checkAge(time.Unix(n, 0), r.Now, v.tol, false)
	}
	return nil
}
