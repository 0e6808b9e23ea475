package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// presets.yaml is decoded strictly: a misspelt key anywhere is an error,
// never a provider left silently on a default.
func TestDecodeCatalogueStrict(t *testing.T) {
	for name, doc := range map[string]string{
		"Preset":   "presets:\n  - name: x\n    primitve: hmac-body\n",
		"Params":   "presets:\n  - name: x\n    params: {header: X-Sig}\n",
		"Field":    "presets:\n  - name: x\n    event_id: {jsonpath: id}\n",
		"Template": "templates:\n  t: {covers: body, uncoverd: time}\npresets: []\n",
		"TopLevel": "preset: []\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeCatalogue([]byte(doc)); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("decodeCatalogue = %v, want an unknown-field error", err)
			}
		})
	}
}

// Templates merge under an entry's own keys, and the Go layouts the file
// spells out are the ones the standard library names.
func TestDecodeCatalogueValues(t *testing.T) {
	got, err := decodeCatalogue([]byte(`
templates:
  base: &base
    primitive: hmac-timestamp
    body: json
    covers: body
presets:
  - name: x
    <<: *base
    body: form
    params: {time_layout: "Mon, 02 Jan 2006 15:04:05 GMT", tolerance: 5m}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := got[0]
	if p.Primitive != "hmac-timestamp" || p.Body != "form" || p.Covers != "body" ||
		p.Params.TimeLayout != http.TimeFormat || p.Params.Tolerance != 5*time.Minute {
		t.Fatalf("decoded %+v", p)
	}
	for name, want := range map[string]string{"metronome": http.TimeFormat, "box": time.RFC3339} {
		if p, _ := Find(name); p.Params.TimeLayout != want {
			t.Errorf("%s: time_layout %q, want %q", name, p.Params.TimeLayout, want)
		}
	}
}
