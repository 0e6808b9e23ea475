package verify

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// standardWebhooks verifies Standard Webhooks (https://www.standardwebhooks.com)
// and Svix, which is the same scheme under svix-* header names.
//
// Signed bytes are id + "." + timestamp + "." + body. The signature header
// is a space-separated list of "version,base64": v1 is HMAC-SHA256 keyed
// with the base64-decoded secret (whsec_ prefix stripped), v1a is Ed25519
// checked against a whpk_ public key; other versions are skipped. Any match
// is enough. Like the reference libraries, a timestamp more than the
// tolerance (default 5m) in the past or in the future is refused.
// The svix type reads only the svix-* headers (Svix's libraries fall back to
// webhook-*; configure standardwebhooks for such senders).
type standardWebhooks struct {
	name                 string
	idHdr, tsHdr, sigHdr string
	hmacKeys             [][]byte
	pubKeys              []ed25519.PublicKey
	tol                  time.Duration
}

func newStandardWebhooks(s Spec) (Verifier, error) {
	return newSW(s, "standardwebhooks", "webhook-id", "webhook-timestamp", "webhook-signature")
}

func newSvix(s Spec) (Verifier, error) {
	return newSW(s, "svix", "svix-id", "svix-timestamp", "svix-signature")
}

func newSW(s Spec, name, idHdr, tsHdr, sigHdr string) (Verifier, error) {
	v := &standardWebhooks{name: name, idHdr: idHdr, tsHdr: tsHdr, sigHdr: sigHdr,
		tol: orDefault(s.Tolerance, 5*time.Minute)}
	for i, sec := range s.Secrets {
		str := string(sec)
		if pk, ok := strings.CutPrefix(str, "whpk_"); ok {
			b, err := base64.StdEncoding.DecodeString(pk)
			if err != nil || len(b) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%s: secret %d: whpk_ key is not base64 of a 32-byte Ed25519 public key", name, i)
			}
			v.pubKeys = append(v.pubKeys, ed25519.PublicKey(b))
			continue
		}
		if strings.HasPrefix(str, "whsk_") {
			return nil, fmt.Errorf("%s: secret %d: whsk_ is a private signing key; configure its whpk_ public key", name, i)
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(str, "whsec_"))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%s: secret %d: want whsec_ followed by base64", name, i)
		}
		v.hmacKeys = append(v.hmacKeys, b)
	}
	return v, nil
}

func (v *standardWebhooks) Verify(r *Request) error {
	id, ts, sigs := r.Header.Get(v.idHdr), r.Header.Get(v.tsHdr), r.Header.Get(v.sigHdr)
	switch {
	case sigs == "":
		return missing(v.name, "no "+v.sigHdr+" header")
	case id == "":
		return missing(v.name, "no "+v.idHdr+" header")
	case ts == "":
		return missing(v.name, "no "+v.tsHdr+" header")
	}
	var macs [][]byte // HMAC per key, computed on the first v1 signature
	var msg []byte    // signed bytes, built on the first v1a signature
	match, n := false, 0
	for _, item := range strings.Fields(sigs) {
		ver, b64, ok := strings.Cut(item, ",")
		if !ok || (ver != "v1" && ver != "v1a") {
			continue // unknown versions are skipped, as the spec requires
		}
		if n++; n > maxSignatures {
			break
		}
		sig, ok := decodeB64Strict(b64)
		if !ok {
			continue
		}
		if ver == "v1" {
			if macs == nil {
				macs = make([][]byte, len(v.hmacKeys))
				for i, k := range v.hmacKeys {
					macs[i] = mac(sha256.New, k, []byte(id), []byte("."), []byte(ts), []byte("."), r.Body)
				}
			}
			for _, m := range macs {
				if hmac.Equal(m, sig) {
					match = true
				}
			}
			continue
		}
		if len(v.pubKeys) == 0 {
			continue
		}
		if msg == nil {
			msg = make([]byte, 0, len(id)+len(ts)+2+len(r.Body))
			msg = append(append(append(append(append(msg, id...), '.'), ts...), '.'), r.Body...)
		}
		for _, pk := range v.pubKeys {
			if ed25519.Verify(pk, msg, sig) {
				match = true
			}
		}
	}
	if !match {
		return invalid(v.name, "no signature matches")
	}
	t, ok := parseInt(ts)
	if !ok {
		return invalid(v.name, "malformed timestamp")
	}
	return checkAge(time.Unix(t, 0), r.Now, v.tol, false)
}
