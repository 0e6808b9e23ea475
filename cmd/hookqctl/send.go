package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
)

type sender struct {
	cfg    *loadedConfig
	base   string
	client *http.Client
}

func newSender(cfgPath, baseURL string, getenv func(string) string) (*sender, error) {
	if cfgPath == "" {
		cfgPath = getenv("HOOKQ_CONFIG")
	}
	if cfgPath == "" {
		return nil, errors.New("no config: pass -config FILE or set HOOKQ_CONFIG")
	}
	cfg, err := loadConfig(cfgPath, getenv)
	if err != nil {
		return nil, err
	}
	if baseURL == "" {
		host, port, _ := net.SplitHostPort(cfg.Ingest.Listen)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		baseURL = "http://" + net.JoinHostPort(host, port)
	}
	return &sender{cfg: cfg, base: strings.TrimSuffix(baseURL, "/"), client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// delivery is one event to send.
type delivery struct {
	source, id, typ string
	body            []byte
	forge           bool // sign with a wrong secret
}

// send signs d for its source's verifier and POSTs it; it returns the
// status and body of the answer.
func (s *sender) send(ctx context.Context, d delivery) (int, string, error) {
	var src *config.Source
	for i := range s.cfg.Sources {
		if s.cfg.Sources[i].Name == d.source {
			src = &s.cfg.Sources[i]
		}
	}
	if src == nil {
		return 0, "", fmt.Errorf("source %q is not in the config", d.source)
	}
	if err := s.cfg.needSecrets(d.source); err != nil {
		return 0, "", err
	}
	v := src.Verifier
	secret := string(v.Secrets[0])
	if d.forge {
		secret = sign.Forged(v.Type, secret)
	}
	signed, err := sign.Build(sign.Request{Type: v.Type, Secret: secret, Body: d.body, Now: time.Now(),
		Header: v.Header, Prefix: v.Prefix, Algorithm: v.Algorithm, Encoding: v.Encoding, BodyFormat: src.BodyFormat,
		TimestampHeader: v.TimestampHeader, SignedPayload: v.SignedPayload, EventID: d.id, EventType: d.typ, URL: v.URL})
	if err != nil {
		return 0, "", err
	}
	h := signed.Header
	if src.EventID.Header != "" && h.Get(src.EventID.Header) == "" {
		h.Set(src.EventID.Header, d.id)
	}
	if src.EventType.Header != "" && h.Get(src.EventType.Header) == "" {
		h.Set(src.EventType.Header, d.typ)
	}
	target := s.base + "/webhooks/" + d.source
	if signed.Query != "" {
		target += "?" + signed.Query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(signed.Body))
	if err != nil {
		return 0, "", err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	if k, ok := verify.Lookup(v.Type); ok && k.Format(src.Spec()) == verify.FormatForm {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func cmdSend(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (env HOOKQ_CONFIG)")
	url := fs.String("url", "", "ingest base URL (default from ingest.listen)")
	source := fs.String("source", "", "configured source name (required)")
	typ := fs.String("type", "test.event", "event type")
	id := fs.String("id", "", "event id (default random)")
	data := fs.String("data", "", "body JSON (default {\"id\":…,\"type\":…,\"data\":{}}); @FILE reads a file")
	forge := fs.Bool("forge", false, "sign with a wrong secret (to see a 401)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *source == "" {
		return errors.New("send: -source is required")
	}
	if *id == "" {
		*id = newID("evt_")
	}
	body := []byte(*data)
	if strings.HasPrefix(*data, "@") {
		var err error
		if body, err = os.ReadFile((*data)[1:]); err != nil {
			return err
		}
	}
	if len(body) == 0 {
		body, _ = json.Marshal(map[string]any{"id": *id, "type": *typ, "data": map[string]any{}})
	}
	s, err := newSender(*cfgPath, *url, getenv)
	if err != nil {
		return err
	}
	status, resp, err := s.send(ctx, delivery{source: *source, id: *id, typ: *typ, body: body, forge: *forge})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d %s\n", status, resp)
	if status >= 300 {
		return fmt.Errorf("ingest answered %d", status)
	}
	warnIgnored(stderr, s.cfg, *source, resp)
	return nil
}

// warnIgnored explains an "ignored" answer: verified, but no route of the
// source matches the event's type, so nothing was enqueued.
func warnIgnored(stderr io.Writer, cfg *loadedConfig, source, resp string) {
	var a struct {
		Status    string `json:"status"`
		EventType string `json:"event_type"`
	}
	if json.Unmarshal([]byte(resp), &a) != nil || a.Status != "ignored" {
		return
	}
	var routes []string
	for _, r := range cfg.Routes {
		if r.Source == source {
			ev := "*"
			if len(r.Events) > 0 {
				ev = strings.Join(r.Events, " ")
			}
			routes = append(routes, fmt.Sprintf("%s (%s)", r.Name, ev))
		}
	}
	if len(routes) == 0 {
		routes = []string{"none"}
	}
	fmt.Fprintf(stderr, "warning: ignored: no route of source %s matches event type %q, so nothing was enqueued.\n  routes of %s: %s\n",
		source, a.EventType, source, strings.Join(routes, ", "))
}
