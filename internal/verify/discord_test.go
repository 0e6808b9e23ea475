package verify_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func discordPub(k ed25519.PrivateKey) verify.Secret {
	return verify.Secret(hex.EncodeToString(k.Public().(ed25519.PublicKey)))
}

// discordCase checks the default (no timestamp window) when tol is zero,
// and a configured window otherwise.
func discordCase(tol time.Duration) verifytest.Case {
	k1, k2, kw := edKey(10), edKey(20), edKey(30)
	priv := map[verify.Secret]ed25519.PrivateKey{discordPub(k1): k1, discordPub(k2): k2, discordPub(kw): kw}
	return verifytest.Case{
		Spec:    verify.Spec{Type: "discord", Tolerance: tol},
		Secrets: [2]verify.Secret{discordPub(k1), discordPub(k2)},
		Wrong:   discordPub(kw),
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			t := unixStr(ts)
			sig := ed25519.Sign(priv[s], append([]byte(t), body...))
			return hdr("X-Signature-Timestamp", t, "X-Signature-Ed25519", hex.EncodeToString(sig)), ""
		},
		Timestamped: tol > 0, Tolerance: tol,
		SignatureHeaders: []string{"X-Signature-Ed25519", "X-Signature-Timestamp"},
		Body:             []byte(`{"app_permissions":"442368","application_id":"1012873440532766750","id":"1250920164218949632","token":"aW50ZXJhY3Rpb246MTI1MDkyMDE2NDIxODk0OTYzMjp0b2tlbg","type":2,"version":1,"data":{"id":"1012876311764537434","name":"ping","type":1}}`),
	}
}

func TestDiscordTolerance(t *testing.T) { verifytest.Run(t, discordCase(5*time.Minute)) }

// Without a configured tolerance an old delivery is accepted, as Discord's
// own libraries do.
func TestDiscordNoDefaultWindow(t *testing.T) {
	c := discordCase(0)
	then := time.Unix(1_700_000_000, 0)
	h, _ := c.Sign(t, c.Secrets[0], c.Body, then)
	spec := verify.Spec{Type: "discord", Secrets: []verify.Secret{c.Secrets[0]}}
	mustVerify(t, spec, &verify.Request{Header: h, Body: c.Body, Now: then.Add(48 * time.Hour)}, nil)
}

func TestDiscordHandshake(t *testing.T) {
	c := discordCase(0)
	v, err := verify.New(verify.Spec{Type: "discord", Secrets: []verify.Secret{c.Secrets[0]}})
	if err != nil {
		t.Fatal(err)
	}
	ping := []byte(`{"application_id":"1012873440532766750","id":"1250920164218949633","token":"dG9rZW4","type":1,"user":{"id":"1"},"version":1}`)
	now := time.Unix(1_750_000_000, 0)
	h, _ := c.Sign(t, c.Secrets[0], ping, now)
	if err := v.Verify(&verify.Request{Header: h, Body: ping, Now: now}); err != nil {
		t.Fatal(err)
	}
	resp, ok := v.(verify.Handshaker).Handshake(&verify.Request{Body: ping})
	if !ok || string(resp) != `{"type":1}` {
		t.Fatalf("Handshake = %s, %v", resp, ok)
	}
	for _, body := range []string{string(c.Body), `{"type":"1"}`, `{"type":10}`, `[1]`, ``} {
		if _, ok := v.(verify.Handshaker).Handshake(&verify.Request{Body: []byte(body)}); ok {
			t.Errorf("%s taken for a PING", body)
		}
	}
}

func TestDiscordBadKey(t *testing.T) {
	for _, k := range []verify.Secret{"zz", "abcd", verify.Secret(hex.EncodeToString(make([]byte, 33)))} {
		if _, err := verify.New(verify.Spec{Type: "discord", Secrets: []verify.Secret{k}}); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}
