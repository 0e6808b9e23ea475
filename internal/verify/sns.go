package verify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// ErrConfirmFailed is returned by Confirm when the provider's confirmation
// URL could not be called: the answer is 502 and the provider retries.
var ErrConfirmFailed = errors.New("subscription confirmation failed")

// Confirmer is implemented by verifiers whose provider waits for a call
// back before it delivers events (AWS SNS's SubscribeURL). Confirm is
// called only after Verify succeeded; ok reports that r was such a message,
// answered with resp (JSON) instead of being enqueued.
type Confirmer interface {
	Confirm(ctx context.Context, r *Request) (resp []byte, ok bool, err error)
}

// snsHost is the allow-list for SigningCertURL and SubscribeURL: SNS's own
// regional endpoints (the .cn partition included), over HTTPS.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// sns verifies AWS SNS HTTP(S) deliveries. The signature is in the body;
// it proves that SNS sent the message, not which AWS account's topic did,
// so the secrets are the topic ARNs this source accepts.
type sns struct {
	topics []string
	tol    time.Duration
	certs  *certSource
}

func newSNS(s Spec) (Verifier, error) {
	for i, t := range s.Secrets {
		if !strings.HasPrefix(string(t), "arn:") {
			return nil, fmt.Errorf("aws-sns: secret %d: want a topic ARN (arn:aws:sns:…)", i)
		}
	}
	v := &sns{tol: s.Tolerance, certs: newCertSource(snsHost.MatchString)}
	for _, t := range s.Secrets {
		v.topics = append(v.topics, string(t))
	}
	return v, nil
}

// snsMessage is an SNS HTTP(S) delivery. Subject is a pointer: it is in the
// signed string only when present.
type snsMessage struct {
	Type, MessageId, Token, TopicArn, Message, Timestamp string
	Subject                                              *string
	SignatureVersion, Signature, SigningCertURL          string
	SubscribeURL                                         string
}

// parseSNS reads a delivery's JSON; the error wraps ErrMissingSignature.
func parseSNS(body []byte) (*snsMessage, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, missing("aws-sns", "body is not an SNS message")
	}
	if m.Signature == "" || m.SigningCertURL == "" {
		return nil, missing("aws-sns", "no Signature or SigningCertURL")
	}
	return &m, nil
}

// stringToSign is SNS's canonical form: "Key\nValue\n" for the type's keys,
// in byte order.
func (m *snsMessage) stringToSign() (string, error) {
	var kv []string
	switch m.Type {
	case "Notification":
		kv = []string{"Message", m.Message, "MessageId", m.MessageId}
		if m.Subject != nil {
			kv = append(kv, "Subject", *m.Subject)
		}
		kv = append(kv, "Timestamp", m.Timestamp, "TopicArn", m.TopicArn, "Type", m.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		kv = []string{"Message", m.Message, "MessageId", m.MessageId, "SubscribeURL", m.SubscribeURL,
			"Timestamp", m.Timestamp, "Token", m.Token, "TopicArn", m.TopicArn, "Type", m.Type}
	default:
		return "", invalid("aws-sns", "unknown message Type")
	}
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		b.WriteString(kv[i] + "\n" + kv[i+1] + "\n")
	}
	return b.String(), nil
}

func (v *sns) Verify(r *Request) error {
	m, err := parseSNS(r.Body)
	if err != nil {
		return err
	}
	msg, err := m.stringToSign()
	if err != nil {
		return err
	}
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return invalid("aws-sns", "unknown SignatureVersion")
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return invalid("aws-sns", "Signature is not base64")
	}
	key, err := v.certs.key(m.SigningCertURL)
	if err != nil {
		return fmt.Errorf("aws-sns: SigningCertURL: %v: %w", err, webhook.ErrInvalidSignature)
	}
	var digest []byte
	if h == crypto.SHA1 {
		d := sha1.Sum([]byte(msg))
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(msg))
		digest = d[:]
	}
	if rsa.VerifyPKCS1v15(key, h, digest, sig) != nil {
		return invalid("aws-sns", "signature does not verify")
	}
	// The topic is checked after the signature, so that a wrong topic
	// cannot be told from a forged message.
	topicOK := false
	for _, t := range v.topics {
		topicOK = topicOK || t == m.TopicArn
	}
	if !topicOK {
		return invalid("aws-sns", "TopicArn is not configured for this source")
	}
	if v.tol > 0 {
		ts, err := time.Parse(time.RFC3339Nano, m.Timestamp)
		if err != nil {
			return invalid("aws-sns", "Timestamp is not RFC 3339")
		}
		if err := checkAge(ts, r.Now, v.tol, false); err != nil {
			return err
		}
	}
	return nil
}

// Confirm answers SubscriptionConfirmation by calling its SubscribeURL
// (same allow-list), and UnsubscribeConfirmation with a plain 200; neither
// is enqueued. Notifications are not handshakes.
func (v *sns) Confirm(ctx context.Context, r *Request) ([]byte, bool, error) {
	m, err := parseSNS(r.Body)
	if err != nil {
		return nil, false, nil
	}
	switch m.Type {
	case "UnsubscribeConfirmation":
		return []byte(`{"status":"unsubscribed"}`), true, nil
	case "SubscriptionConfirmation":
	default:
		return nil, false, nil
	}
	if err := v.certs.allowed(m.SubscribeURL); err != nil {
		return nil, true, fmt.Errorf("aws-sns: SubscribeURL: %v: %w", err, webhook.ErrMalformedPayload)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.SubscribeURL, nil)
	if err != nil {
		return nil, true, fmt.Errorf("aws-sns: SubscribeURL: %w", webhook.ErrMalformedPayload)
	}
	resp, err := certClient.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("aws-sns: calling SubscribeURL: %w", ErrConfirmFailed)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxCert))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, true, fmt.Errorf("aws-sns: SubscribeURL answered %d: %w", resp.StatusCode, ErrConfirmFailed)
	}
	return []byte(`{"status":"subscribed"}`), true, nil
}
