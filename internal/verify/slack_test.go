package verify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func slackCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "slack"},
		Secrets: [2]verify.Secret{"8f742231b10e8888abcd99yyyzzz85a5", "0123456789abcdef0123456789abcdef"},
		Wrong:   "ffffffffffffffffffffffffffffffff",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			t := unixStr(ts)
			return hdr("X-Slack-Request-Timestamp", t, "X-Slack-Signature", "v0="+hmacHex(string(s), "v0:", t, ":", string(body))), ""
		},
		Timestamped: true, Tolerance: 5 * time.Minute,
		SignatureHeaders: []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
		Body:             []byte(`{"token":"z26uFbvR1xHJEdHE1OQiO6t8","team_id":"T061EG9RZ","api_app_id":"A0FFV41KK","event":{"type":"app_mention","user":"U061F7AUR","text":"hi","ts":"1515449522.000016","channel":"C0LAN2Q65"},"type":"event_callback","event_id":"Ev0LAN670R","event_time":1515449522}`),
		ReEncode:         reencoded("X-Slack-Signature", "v0=", hexToB64),
	}
}

// The worked example in Slack's "Verifying requests from Slack" docs.
func TestSlackKnownAnswer(t *testing.T) {
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	h := hdr("X-Slack-Request-Timestamp", "1531420618", "X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
	spec := verify.Spec{Type: "slack", Secrets: []verify.Secret{"8f742231b10e8888abcd99yyyzzz85a5"}}
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Unix(1531420618, 0)}, nil)
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Unix(1531420618+301, 0)}, errTolerance)
}

func TestSlackHandshake(t *testing.T) {
	v, err := verify.New(verify.Spec{Type: "slack", Secrets: []verify.Secret{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := v.(verify.Handshaker)
	for name, tc := range map[string]struct {
		body, want string
		ok         bool
	}{
		"URLVerification": {`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
			`{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`, true},
		"EscapedChallenge": {`{"type":"url_verification","challenge":"a\"<b>"}`, `{"challenge":"a\"\u003cb\u003e"}`, true},
		"EventCallback":    {string(slackCase().Body), "", false},
		"NotJSON":          {"token=x&challenge=y", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			resp, ok := hs.Handshake(&verify.Request{Body: []byte(tc.body)})
			if ok != tc.ok || string(resp) != tc.want {
				t.Fatalf("Handshake = %s, %v; want %s, %v", resp, ok, tc.want, tc.ok)
			}
		})
	}
}
