package jsonpath_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/hookq/hookq/internal/jsonpath"
)

func TestGet(t *testing.T) {
	for name, tc := range map[string]struct {
		doc, path, want string
		err             error
	}{
		"OK":                 {`{"a":{"b":"x"}}`, "a.b", "x", nil},
		"Array":              {`[{"event":"e0"},{"event":"e1"}]`, "1.event", "e1", nil},
		"Missing":            {`{"a":{}}`, "a.b", "", nil},
		"IndexOutOfRange":    {`[1]`, "3", "", nil},
		"NotAnIndex":         {`[1]`, "01", "", nil},
		"Scalar":             {`{"a":1}`, "a.b", "", nil},
		"OnlyOtherCase":      {`{"ID":"x"}`, "id", "", nil},
		"ErrDuplicate":       {`{"id":"a","id":"b"}`, "id", "", jsonpath.ErrAmbiguous},
		"ErrCaseVariant":     {`{"event-data":{"id":"a"},"EVENT-DATA":{"id":"b"}}`, "event-data.id", "", jsonpath.ErrAmbiguous},
		"ErrNestedDuplicate": {`{"d":{"id":"a","Id":"b"}}`, "d.id", "", jsonpath.ErrAmbiguous},
		"ErrKelvin":          {`{"kind":"a","\u212aind":"b"}`, "kind", "", jsonpath.ErrAmbiguous},
		"ErrEscapedDup":      {`{"id":"a","\u0069d":"b"}`, "id", "", jsonpath.ErrAmbiguous},
		"DupElsewhereIsFine": {`{"id":"a","x":1,"x":2}`, "id", "a", nil},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := jsonpath.Get([]byte(tc.doc), tc.path)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if r.String() != tc.want {
				t.Fatalf("got %q, want %q", r.String(), tc.want)
			}
		})
	}
}

// FuzzGet: whenever Get answers for a plain key path, encoding/json reads
// the same value there, so no two parsers can disagree on what was read.
func FuzzGet(f *testing.F) {
	f.Add([]byte(`{"id":"a","ID":"b"}`), "id")
	f.Add([]byte(`{"event-data":{"id":"x"}}`), "event-data")
	f.Add([]byte(`{"\u212a":"a","k":"b"}`), "k")
	f.Fuzz(func(t *testing.T, doc []byte, key string) {
		if !gjson.ValidBytes(doc) || !json.Valid(doc) {
			return
		}
		r, err := jsonpath.Get(doc, key)
		if err != nil || !r.Exists() {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(doc, &m) != nil {
			return
		}
		// encoding/json's exact-key match; a case-insensitive match only
		// happens when no exact key exists, which Get reports as absent.
		raw, ok := m[key]
		if !ok {
			t.Fatalf("Get found %q in %q, encoding/json did not", key, doc)
		}
		var a, b any
		if json.Unmarshal(raw, &a) != nil || json.Unmarshal([]byte(r.Raw), &b) != nil {
			return
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("key %q: Get read %s, encoding/json %s (doc %q)", key, r.Raw, raw, doc)
		}
	})
}

// Ingest checks a body with gjson's validator and tells the envelope
// encoder not to check again with encoding/json's: the two must agree.
func FuzzValidAgrees(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2]`, `"\ud800"`, `1e999`, `{"a":"\u00"}`, `01`, `-0.0e+1`,
		"\"\x01\"", "\"\xff\"", ` {} `, `{"a":1,}`, `tru`, `nul`, `"\/"`, `{"a":1}x`, "\t[]\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if g, s := gjson.ValidBytes(b), json.Valid(b); g != s {
			t.Fatalf("%q: gjson.ValidBytes %v, json.Valid %v", b, g, s)
		}
	})
}
