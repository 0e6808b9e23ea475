package verify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func intercomCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "intercom"},
		Secrets: [2]verify.Secret{"client-secret-1", "client-secret-2"},
		Wrong:   "client-secret-x",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			return hdr("X-Hub-Signature", "sha1="+sha1Hex(string(s), string(body))), ""
		},
		SignatureHeaders: []string{"X-Hub-Signature"},
		Body:             []byte(`{"type":"notification_event","app_id":"abc123","data":{"type":"notification_event_data","item":{"type":"ping","message":"hi"}},"id":"notif_0a1b2c","topic":"ping","delivery_attempts":1,"created_at":1750000000}`),
		ReEncode:         reencoded("X-Hub-Signature", "sha1=", hexToB64),
	}
}

// A SHA-256 signature under Intercom's sha1= label is refused.
func TestIntercomOnlySHA1(t *testing.T) {
	body := intercomCase().Body
	h := hdr("X-Hub-Signature", "sha256="+hmacHex("k", string(body)))
	mustVerify(t, verify.Spec{Type: "intercom", Secrets: []verify.Secret{"k"}}, &verify.Request{Header: h, Body: body}, errInvalid)
	h.Set("X-Hub-Signature", "sha1="+hmacHex("k", string(body)))
	mustVerify(t, verify.Spec{Type: "intercom", Secrets: []verify.Secret{"k"}}, &verify.Request{Header: h, Body: body}, errInvalid)
}
