package verify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func shopifyCase() verifytest.Case {
	return verifytest.Case{
		Spec:    verify.Spec{Type: "shopify"},
		Secrets: [2]verify.Secret{"shpss_first", "shpss_second"},
		Wrong:   "shpss_wrong",
		Sign: func(tb testing.TB, s verify.Secret, body []byte, _ time.Time) (http.Header, string) {
			return hdr("X-Shopify-Hmac-Sha256", sha256B64(string(s), string(body))), ""
		},
		SignatureHeaders: []string{"X-Shopify-Hmac-Sha256"},
		Body:             []byte(`{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00","currency":"USD"}`),
		ReEncode:         reencoded("X-Shopify-Hmac-Sha256", "", b64ToHex),
	}
}

// Event deliveries on Shopify's newer platform use unprefixed headers.
func TestShopifyUnprefixedHeader(t *testing.T) {
	body := shopifyCase().Body
	h := hdr("shopify-hmac-sha256", sha256B64("k", string(body)))
	spec := verify.Spec{Type: "shopify", Secrets: []verify.Secret{"k"}}
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Now()}, nil)
	h.Set("shopify-hmac-sha256", sha256B64("other", string(body)))
	mustVerify(t, spec, &verify.Request{Header: h, Body: body, Now: time.Now()}, errInvalid)
}
