package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

const twilioURL = "https://hooks.example.com/twilio/sms"

// twilioSig computes X-Twilio-Signature independently of the verifier:
// URL, then name+value for each form parameter sorted by name.
func twilioSig(tb testing.TB, token, fullURL string, form []byte) string {
	vals, err := url.ParseQuery(string(form))
	if err != nil {
		tb.Fatal(err)
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range names {
		vs := append([]string(nil), vals[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k + v)
		}
	}
	return macB64(sha1.New, token, b.String())
}

func twilioFormCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "twilio", URL: twilioURL},
		Secrets: [2]verify.Secret{"12345", "auth-token-2"},
		Wrong:   "auth-token-x",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			q := "tenant=7&x=a%20b"
			return hdr("X-Twilio-Signature", twilioSig(tb, string(s), twilioURL+"?"+q, body)), q
		},
		SignatureHeaders: []string{"X-Twilio-Signature"},
		Body:             []byte("ToCountry=US&ToState=CA&SmsMessageSid=SMbe794ce78f6b9fdf853d2acb76c080db&NumMedia=0&Body=hello+5&To=%2B16505558225&MessageSid=SMbe794ce78f6b9fdf853d2acb76c080db&AccountSid=AC00000000000000000000000000000000&From=%2B16505551199&ApiVersion=2010-04-01"),
		ReEncode:         reencoded("X-Twilio-Signature", "", b64ToHex),
	}
}

func twilioJSONCase() verifytest.Case {
	c := twilioFormCase()
	c.Body = sampleBody
	c.Sign = func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
		sum := sha256.Sum256(body)
		q := "tenant=7&bodySHA256=" + hex.EncodeToString(sum[:])
		return hdr("X-Twilio-Signature", macB64(sha1.New, string(s), twilioURL+"?"+q)), q
	}
	return c
}

func TestTwilioJSON(t *testing.T) { verifytest.Run(t, twilioJSONCase()) }

// Vectors from Twilio's Go helper library (twilio/twilio-go,
// client/request_validator_test.go), the example of Twilio's webhook
// security docs: auth token 12345.
func TestTwilioKnownAnswer(t *testing.T) {
	form := []byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212")
	jsonBody := []byte(`{"property": "value", "boolean": true}`)
	const bodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	for name, tc := range map[string]struct {
		url, query, sig string
		body            []byte
		want            error
	}{
		"Form":                  {"https://mycompany.com/myapp.php", "foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, nil},
		"FormQueryInConfig":     {"https://mycompany.com/myapp.php?foo=1&bar=2", "", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, nil},
		"FormSignedWithPort443": {"https://mycompany.com/myapp.php", "foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=", form, nil},
		"FormPortConfigured":    {"https://mycompany.com:1234/myapp.php", "foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, nil},
		"FormHTTP":              {"http://mycompany.com/myapp.php", "foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=", form, nil},
		"FormHTTPPort1234":      {"http://mycompany.com:1234/myapp.php", "foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", form, nil},
		"FormWrong":             {"https://mycompany.com/myapp.php", "foo=1&bar=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, errInvalid},
		"JSON":                  {"https://mycompany.com/myapp.php", "foo=1&bar=2&bodySHA256=" + bodyHash, "a9nBmqA0ju/hNViExpshrM61xv4=", jsonBody, nil},
		"JSONOnlyBodyHash":      {"https://mycompany.com/myapp.php", "bodySHA256=" + bodyHash, "y77kIzt2vzLz71DgmJGsen2scGs=", jsonBody, nil},
		"JSONBodyChanged":       {"https://mycompany.com/myapp.php", "bodySHA256=" + bodyHash, "y77kIzt2vzLz71DgmJGsen2scGs=", []byte(`{"property": "value", "boolean": false}`), errInvalid},
		"JSONWithoutBodyHash":   {"https://mycompany.com/myapp.php", "foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", jsonBody, errInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			spec := verify.Spec{Type: "twilio", URL: tc.url, Secrets: []verify.Secret{"12345"}}
			mustVerify(t, spec, &verify.Request{Header: hdr("X-Twilio-Signature", tc.sig), Body: tc.body, RawQuery: tc.query}, tc.want)
		})
	}
}

// Parameter order in the body does not matter; repeated names sort by value.
func TestTwilioParamOrder(t *testing.T) {
	spec := verify.Spec{Type: "twilio", URL: twilioURL, Secrets: []verify.Secret{"tok"}}
	sig := twilioSig(t, "tok", twilioURL, []byte("A=1&B=x&B=a&C=%2B1"))
	for _, body := range []string{"A=1&B=x&B=a&C=%2B1", "C=%2B1&B=a&A=1&B=x"} {
		mustVerify(t, spec, &verify.Request{Header: hdr("X-Twilio-Signature", sig), Body: []byte(body)}, nil)
	}
	mustVerify(t, spec, &verify.Request{Header: hdr("X-Twilio-Signature", sig), Body: []byte("A=1&B=x&C=%2B1")}, errInvalid)
	mustVerify(t, spec, &verify.Request{Header: hdr("X-Twilio-Signature", sig), Body: []byte("A=1&B=x&B=a&C=%ZZ")}, errInvalid)
}
