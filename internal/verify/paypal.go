package verify

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"regexp"
	"strconv"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// paypalHost is the allow-list for PAYPAL-CERT-URL: PayPal's live and
// sandbox API hosts, over HTTPS.
var paypalHost = regexp.MustCompile(`^api(\.sandbox)?\.paypal\.com$`)

// paypal verifies PayPal webhooks offline, as PayPal's docs describe: RSA
// SHA-256 (PAYPAL-AUTH-ALGO SHA256withRSA) over
// "<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body>",
// with the certificate at PAYPAL-CERT-URL. The secrets are the webhook IDs
// this source accepts: the signature binds a delivery to one.
type paypal struct {
	ids   []string
	tol   time.Duration
	certs *certSource
}

func newPayPal(s Spec) (Verifier, error) {
	v := &paypal{tol: s.Tolerance, certs: newCertSource(paypalHost.MatchString)}
	for _, id := range s.Secrets {
		v.ids = append(v.ids, string(id))
	}
	return v, nil
}

func (v *paypal) Verify(r *Request) error {
	sigB64 := r.Header.Get("Paypal-Transmission-Sig")
	if sigB64 == "" {
		return missing("paypal", "no PAYPAL-TRANSMISSION-SIG header")
	}
	id, ts, certURL := r.Header.Get("Paypal-Transmission-Id"), r.Header.Get("Paypal-Transmission-Time"), r.Header.Get("Paypal-Cert-Url")
	if id == "" || ts == "" || certURL == "" {
		return missing("paypal", "no PAYPAL-TRANSMISSION-ID, PAYPAL-TRANSMISSION-TIME or PAYPAL-CERT-URL header")
	}
	if algo := r.Header.Get("Paypal-Auth-Algo"); algo != "" && algo != "SHA256withRSA" {
		return invalid("paypal", "PAYPAL-AUTH-ALGO is not SHA256withRSA")
	}
	sig, ok := decodeB64Strict(sigB64)
	if !ok {
		return invalid("paypal", "malformed signature")
	}
	key, err := v.certs.key(certURL)
	if err != nil {
		return fmt.Errorf("paypal: PAYPAL-CERT-URL: %v: %w", err, webhook.ErrInvalidSignature)
	}
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE(r.Body)), 10)
	match := false
	for _, wid := range v.ids {
		d := sha256.Sum256([]byte(id + "|" + ts + "|" + wid + "|" + crc))
		match = match || rsa.VerifyPKCS1v15(key, crypto.SHA256, d[:], sig) == nil
	}
	if !match {
		return invalid("paypal", "signature does not match")
	}
	if v.tol > 0 {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return invalid("paypal", "PAYPAL-TRANSMISSION-TIME is not RFC 3339")
		}
		if err := checkAge(t, r.Now, v.tol, false); err != nil {
			return err
		}
	}
	// CRC32 is no cryptographic digest: a captured signature also covers
	// any other body with the same CRC32, which is easy to make. Binding
	// the transmission to its first body refuses those.
	r.Token, r.TokenTTL = "paypal:"+id, max(2*v.tol, paypalBind)
	return nil
}

// paypalBind is how long a transmission stays bound to its body without a
// tolerance: PayPal retries for up to three days.
const paypalBind = 72 * time.Hour
