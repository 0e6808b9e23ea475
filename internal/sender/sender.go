// Package sender posts webhook deliveries to a hookq ingest as a provider
// would: signed for the source's verifier (internal/sign), with the id and
// type headers the source reads. hookqctl's send, trigger, demo and load
// send through it.
package sender

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
)

// Delivery is one event to send.
type Delivery struct {
	Source, ID, Type string
	Body             []byte
	// Forge signs with a wrong secret of the right form (sign.Forged), so
	// the delivery is well formed and only its signature is wrong.
	Forge bool
}

// Sender sends deliveries for the sources of one config to one ingest.
type Sender struct {
	cfg    *config.Lenient
	base   string
	client *http.Client
}

// New returns a Sender to the ingest at base (http://host:port) for the
// sources of cfg. A nil client means one with a 10 s timeout.
func New(cfg *config.Lenient, base string, client *http.Client) *Sender {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Sender{cfg: cfg, base: strings.TrimSuffix(base, "/"), client: client}
}

// Base is the ingest URL the Sender posts to.
func (s *Sender) Base() string { return s.base }

// Request returns d as a signed POST to the source's webhook URL. It fails
// when the source is not configured, when its secrets are unset, or when
// hookq cannot sign for its verifier (a key only the provider holds:
// sign.ErrNeedsKey).
func (s *Sender) Request(ctx context.Context, d Delivery) (*http.Request, error) {
	src, ok := s.cfg.Source(d.Source)
	if !ok {
		return nil, fmt.Errorf("source %q is not in the config", d.Source)
	}
	if err := s.cfg.NeedSecrets(d.Source); err != nil {
		return nil, err
	}
	v := src.Verifier
	secret := string(v.Secrets[0])
	if d.Forge {
		secret = sign.Forged(v.Type, secret)
	}
	// Build, not Sign: some schemes sign inside the body (Linear, Mailgun,
	// Graph) or add to the URL's query (Twilio).
	signed, err := sign.Build(sign.Request{Type: v.Type, Secret: secret, Body: d.Body, Now: time.Now(),
		Header: v.Header, Prefix: v.Prefix, Algorithm: v.Algorithm, Encoding: v.Encoding, BodyFormat: src.BodyFormat,
		TimestampHeader: v.TimestampHeader, SignedPayload: v.SignedPayload, EventID: d.ID, EventType: d.Type, URL: v.URL})
	if err != nil {
		return nil, err
	}
	h := signed.Header
	if src.EventID.Header != "" && h.Get(src.EventID.Header) == "" {
		h.Set(src.EventID.Header, d.ID)
	}
	if src.EventType.Header != "" && h.Get(src.EventType.Header) == "" {
		h.Set(src.EventType.Header, d.Type)
	}
	target := s.base + "/webhooks/" + d.Source
	if signed.Query != "" {
		target += "?" + signed.Query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(signed.Body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	if k, ok := verify.Lookup(v.Type); ok && k.Format(src.Spec()) == verify.FormatForm {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// Send posts d and returns ingest's status and answer (its first 64 KiB,
// trimmed). An error means d was not sent or got no answer.
func (s *Sender) Send(ctx context.Context, d Delivery) (int, string, error) {
	req, err := s.Request(ctx, d)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}
