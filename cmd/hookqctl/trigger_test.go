package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestTriggerSendsSignedFixtures sends every fixture of every signable
// configured source to a stand-in ingest, which checks each with the real
// verifier and reads the event id and type where the provider puts them.
func TestTriggerSendsSignedFixtures(t *testing.T) {
	sg := newSigning(t)
	cfg, getenv := sg.cfg, sg.getenv
	type got struct {
		source, id, typ string
		body            []byte
	}
	var last got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, body, err := sg.verify(r)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			w.WriteHeader(401)
			return
		}
		last = got{source: name, body: body}
		switch name {
		case "github":
			last.id, last.typ = r.Header.Get("X-GitHub-Delivery"), r.Header.Get("X-GitHub-Event")
		case "sw":
			last.id, last.typ = r.Header.Get("Webhook-Id"), gjson.GetBytes(body, "type").String()
		default:
			last.id, last.typ = gjson.GetBytes(body, "id").String(), gjson.GetBytes(body, "type").String()
		}
		status := "accepted"
		if name == "stripe" && !strings.HasPrefix(last.typ, "payment_intent.") {
			status = "ignored"
		}
		json.NewEncoder(w).Encode(map[string]string{"status": status, "source": name, "event_id": last.id, "event_type": last.typ})
	}))
	defer srv.Close()

	for source, kind := range map[string]string{"seed": "hmac", "stripe": "stripe", "github": "github", "sw": "standardwebhooks"} {
		for _, typ := range fixtureNames(kind) {
			t.Run(source+"/"+typ, func(t *testing.T) {
				var out, errb bytes.Buffer
				if err := run(t.Context(), []string{"trigger", "-config", cfg, "-ingest", srv.URL, source, typ}, getenv, &out, &errb); err != nil {
					t.Fatalf("%v\n%s", err, errb.String())
				}
				if last.source != source || last.typ != typ || last.id == "" || !json.Valid(last.body) {
					t.Errorf("ingest saw %+v", last)
				}
				if wantWarn := source == "stripe" && !strings.HasPrefix(typ, "payment_intent."); wantWarn != strings.Contains(errb.String(), "warning: ignored") {
					t.Errorf("ignored warning = %v, want %v: %q", !wantWarn, wantWarn, errb.String())
				}
			})
		}
	}
	t.Run("SeedHandlersGetTheirData", func(t *testing.T) {
		run(t.Context(), []string{"trigger", "-config", cfg, "-ingest", srv.URL, "seed", "payment_success"}, getenv, io.Discard, io.Discard)
		for _, path := range []string{"data.payment_id", "data.amount", "data.currency", "data.user_id"} {
			if !gjson.GetBytes(last.body, path).Exists() {
				t.Errorf("payment_success fixture lacks %s: %s", path, last.body)
			}
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for args, want := range map[string]string{
			"seed nope":          "there are: enrollment_created, order_created, payment_success, user_registered",
			"nosuch push":        `source "nosuch" is not in the config`,
			"seed":               "want SOURCE EVENT_TYPE",
			"stripe charge.nope": "charge.refunded",
		} {
			err := run(t.Context(), append([]string{"trigger", "-config", cfg, "-ingest", srv.URL}, strings.Fields(args)...), getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("trigger %s: err %v, want %q", args, err, want)
			}
		}
	})
	t.Run("List", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"trigger", "-config", cfg, "-list"}, getenv, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"github  github", "ping pull_request push", "payment_success"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("list lacks %q:\n%s", want, out.String())
			}
		}
	})
}
