package verify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/hookq/hookq/internal/verify"
)

func challenger(tb testing.TB, spec verify.Spec) verify.Challenger {
	tb.Helper()
	v, err := verify.New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	c, ok := v.(verify.Challenger)
	if !ok {
		tb.Fatalf("%s does not answer GET challenges", spec.Type)
	}
	return c
}

func TestChallenges(t *testing.T) {
	secret := []verify.Secret{"consumer-secret"}
	// X's docs: response_token = "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token)).
	m := hmac.New(sha256.New, []byte("consumer-secret"))
	m.Write([]byte("9b4507b3-9040-4669-9ac6-9e6e5b1ac5c2"))
	crc := `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(m.Sum(nil)) + `"}`
	for name, tc := range map[string]struct {
		spec      verify.Spec
		query     string
		ctype     string
		body      string
		wantError error
	}{
		"MetaOK":             {verify.Spec{Type: "meta", Secrets: secret, VerifyToken: "meatyhamhock"}, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", "text/plain; charset=utf-8", "1158201444", nil},
		"WhatsAppOK":         {verify.Spec{Type: "whatsapp", Secrets: secret, VerifyToken: "meatyhamhock"}, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", "text/plain; charset=utf-8", "1158201444", nil},
		"MetaWrongToken":     {verify.Spec{Type: "meta", Secrets: secret, VerifyToken: "meatyhamhock"}, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhocK", "", "", verify.ErrChallengeRefused},
		"MetaNoTokenSet":     {verify.Spec{Type: "meta", Secrets: secret}, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=", "", "", verify.ErrChallengeRefused},
		"MetaNoMode":         {verify.Spec{Type: "meta", Secrets: secret, VerifyToken: "t"}, "hub.challenge=1&hub.verify_token=t", "", "", errMalformed},
		"MetaNoChallenge":    {verify.Spec{Type: "meta", Secrets: secret, VerifyToken: "t"}, "hub.mode=subscribe&hub.verify_token=t", "", "", errMalformed},
		"TwitterCRC":         {verify.Spec{Type: "twitter", Secrets: secret}, "crc_token=9b4507b3-9040-4669-9ac6-9e6e5b1ac5c2", "application/json", crc, nil},
		"TwitterNoToken":     {verify.Spec{Type: "twitter", Secrets: secret}, "", "", "", errMalformed},
		"DropboxOK":          {verify.Spec{Type: "dropbox", Secrets: secret}, "challenge=" + url.QueryEscape("<b>abc</b>"), "text/plain; charset=utf-8", "<b>abc</b>", nil},
		"DropboxNoChallenge": {verify.Spec{Type: "dropbox", Secrets: secret}, "x=1", "", "", errMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			ct, body, err := challenger(t, tc.spec).Challenge(&verify.Request{Header: http.Header{}, RawQuery: tc.query})
			if tc.wantError != nil {
				if !errors.Is(err, tc.wantError) {
					t.Fatalf("err = %v, want %v", err, tc.wantError)
				}
				return
			}
			if err != nil || ct != tc.ctype || string(body) != tc.body {
				t.Fatalf("Challenge = %q, %q, %v; want %q, %q", ct, body, err, tc.ctype, tc.body)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	build := func(typ string, sec verify.Secret) verify.Prober {
		v, err := verify.New(verify.Spec{Type: typ, Secrets: []verify.Secret{sec}})
		if err != nil {
			t.Fatal(err)
		}
		p, ok := v.(verify.Prober)
		if !ok {
			t.Fatalf("%s answers no probe", typ)
		}
		return p
	}
	graph, asana := build("microsoft-graph", "state"), build("asana", "placeholder")

	a, ok := graph.Probe(&verify.Request{Header: http.Header{}, RawQuery: "validationToken=" + url.QueryEscape("Validation: Testing client application reachability for subscription Request-Id: 12345")})
	if !ok || a.ContentType != "text/plain; charset=utf-8" || string(a.Body) != "Validation: Testing client application reachability for subscription Request-Id: 12345" {
		t.Fatalf("graph validationToken: %v %+v", ok, a)
	}
	if _, ok := graph.Probe(&verify.Request{Header: http.Header{}, RawQuery: "other=1"}); ok {
		t.Fatal("graph: a notification was taken for a probe")
	}

	a, ok = asana.Probe(&verify.Request{Header: hdr("X-Hook-Secret", "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81")})
	if !ok || a.Header.Get("X-Hook-Secret") != "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81" || len(a.Body) != 0 {
		t.Fatalf("asana handshake: %v %+v", ok, a)
	}
	if _, ok := asana.Probe(&verify.Request{Header: hdr("X-Hook-Secret", "s", "X-Hook-Signature", "ab")}); ok {
		t.Fatal("asana: a signed event was taken for the handshake")
	}
	if _, ok := asana.Probe(&verify.Request{Header: http.Header{}}); ok {
		t.Fatal("asana: a request without X-Hook-Secret was taken for the handshake")
	}
}

// Only the presets with a GET handshake answer GET; only those with a POST
// probe answer probes.
func TestHandshakeKinds(t *testing.T) {
	get := map[string]bool{"okta": true, "meta": true, "whatsapp": true, "twitter": true, "dropbox": true}
	probe := map[string]bool{"microsoft-graph": true, "asana": true}
	confirm := map[string]bool{"aws-sns": true}
	for name, c := range allCases() {
		s := c.Spec
		s.Secrets = []verify.Secret{c.Secrets[0]}
		v, err := verify.New(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := v.(verify.Challenger); ok != get[name] {
			t.Errorf("%s: Challenger = %v", name, ok)
		}
		if _, ok := v.(verify.Prober); ok != probe[name] {
			t.Errorf("%s: Prober = %v", name, ok)
		}
		if _, ok := v.(verify.Confirmer); ok != confirm[name] {
			t.Errorf("%s: Confirmer = %v", name, ok)
		}
	}
}
