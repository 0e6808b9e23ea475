package verify_test

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

// A kat is a known answer published by the provider: a delivery its docs or
// official SDK tests show as genuine. Source is where the fixture is, pinned
// to a commit; none of these values was computed by hookq.
type kat struct {
	preset  string
	source  string
	secrets []verify.Secret
	url     string
	alg     string
	header  http.Header
	body    string
	now     time.Time
	notBody bool // the scheme does not sign the body
	recipe  bool // the signature is computed from the provider's published key and recipe, not copied
}

// The Standard Webhooks library's published test vector, which is also
// Svix's example delivery (under svix-* headers): some providers publish it as
// their own, and it stands for presets whose SDK tests sign at run time.
const (
	swSecret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swSource   = "scheme: https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_test.go"
	svixSource = "scheme: https://docs.svix.com/receiving/verifying-payloads/how-manual (Svix's example, also in svix-webhooks' tests)"
)

// swVector is that vector as source publishes it, its headers named
// prefix+"id", prefix+"timestamp" and prefix+"signature".
func swVector(preset, source, prefix string) kat {
	return kat{preset: preset, source: source,
		secrets: []verify.Secret{swSecret},
		header: hdr(prefix+"id", "msg_p5jXN8AQM9LWM0D4loKWxJek", prefix+"timestamp", "1614265330",
			prefix+"signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
		body: `{"test": 2432232314}`,
		now:  time.Unix(1614265330, 0)}
}

// swKAT is that vector under webhook-* headers for a preset whose provider
// documents Standard Webhooks (or whose SDK verifies with its library) but
// publishes no delivery of its own; note says where that is stated.
func swKAT(preset, note string) kat {
	return swVector(preset, swSource+" ("+note+")", "webhook-")
}

// basicKAT is the case of a preset that authenticates with HTTP Basic
// credentials, checked with RFC 7617's example ones (section 2), which the
// provider sends as the webhook's configuration says.
func basicKAT(preset, source, body string) kat {
	return kat{preset: preset, source: source, secrets: []verify.Secret{"Aladdin:open sesame"},
		header: hdr("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), body: body, notBody: true}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func presetKATs(tb testing.TB) []kat {
	return []kat{{
		preset:  "openai",
		source:  "https://github.com/openai/openai-node/blob/7b7d6ca71130d37ec09792c50056b47861f2eccf/tests/api-resources/webhooks.test.ts",
		secrets: []verify.Secret{"whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="},
		header: hdr("webhook-signature", "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=",
			"webhook-timestamp", "1750861210", "webhook-id", "wh_685c059ae39c8190af8c71ed1022a24d"),
		body: `{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}`,
		now:  time.Unix(1750861210, 0),
	},
		swVector("replicate", "https://github.com/replicate/replicate-python/blob/0110c2c5639763a44e73d69011eaec28a15334f7/tests/test_webhooks.py", "Webhook-"),
		{
			preset:  "box",
			source:  "https://github.com/box/box-node-sdk/blob/7dcf9c2bfc44d9436d73c253ce2c9805a41d0e75/tests/lib/managers/webhooks-test.js",
			secrets: []verify.Secret{"SamplePrimaryKey", "SampleSecondaryKey"},
			header: hdr("box-delivery-id", "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f", "box-delivery-timestamp", "2020-01-01T00:00:00-07:00",
				"box-signature-algorithm", "HmacSHA256", "box-signature-primary", "6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI=",
				"box-signature-secondary", "v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo=", "box-signature-version", "1"),
			body: `{"type":"webhook_event","webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"Test.txt"}}`,
			now:  time.Date(2020, 1, 1, 7, 5, 0, 0, time.UTC),
		}, {
			preset:  "orb",
			source:  "https://github.com/orbcorp/orb-node/blob/cffc338020a4e5751b7173eaac5e64d020738510/tests/api-resources/webhooks.test.ts",
			secrets: []verify.Secret{"c-UGKYdnhHh436B_sMouYAPUvXyWpzOdunZBV5dFSD8"},
			header: hdr("X-Orb-Timestamp", "2024-03-27T15:42:29.551",
				"X-Orb-Signature", "v1=9d25de966891ab0bc18754faf8d83d0980b44ae330fcc130b41a6cf3daf1f391"),
			body: `{"id": "o4mmewpfNNTnjfZc", "created_at": "2024-03-27T15:42:29+00:00", "type": "resource_event.test", "properties": {"message": "A test webhook from Orb. Happy testing!"}}`,
			now:  time.Date(2024, 3, 27, 15, 42, 29, 551e6, time.UTC),
		}, {
			preset:  "modern-treasury",
			source:  "https://github.com/Modern-Treasury/modern-treasury-node/blob/6dea66ee0a28a34299703f515ca479906b1f922e/tests/api-resources/webhooks.test.ts",
			secrets: []verify.Secret{"foo"},
			header:  hdr("X-Signature", "57e14f6f354543f0101fb06ea24df7731d90087b76651e3497345e22a3622940"),
			body:    `{"foo":"bar"}`,
		}, {
			preset:  "razorpay",
			source:  "https://github.com/razorpay/razorpay-node/blob/9737ef17342b8a551f7af2413c8d24df559accc8/test/utils/razorpay-utils.spec.js",
			secrets: []verify.Secret{"123456"},
			header:  hdr("X-Razorpay-Signature", "2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc"),
			body:    `{"a":1,"b":2,"c":{"d":3}}`,
		}, {
			preset:  "coinbase-commerce",
			source:  "https://github.com/coinbase/coinbase-commerce-node/blob/d46c59684423b07d068e001ae8c5d58abb9cbbc1/test/testWebhook.spec.js",
			secrets: []verify.Secret{"30291a20-0bd1-4267-9b0f-e6e7b123c0bf"},
			header:  hdr("X-CC-Webhook-Signature", "8be7742c7d372f08a6a3224edadf18a22b65fa9e28f3f2de97376cdaa092590d"),
			body:    `{"id":1,"scheduled_for":"2017-01-31T20:50:02Z","attempt_number":1,"event":{"id":"24934862-d980-46cb-9402-43c81b0cdba6","type":"charge:created","api_version":"2018-03-22","created_at":"2017-01-31T20:49:02Z","data":{"code":"66BEOV2A","name":"The Sovereign Individual","description":"Mastering the Transition to the Information Age","hosted_url":"https://commerce.coinbase.com/charges/66BEOV2A","created_at":"2017-01-31T20:49:02Z","expires_at":"2017-01-31T21:04:02Z","timeline":[{"time":"2017-01-31T20:49:02Z","status":"NEW"}],"metadata":{},"pricing_type":"no_price","payments":[],"addresses":{"bitcoin":"0000000000000000000000000000000000","ethereum":"0x0000000000000000000000000000000000000000","litecoin":"3000000000000000000000000000000000","bitcoincash":"bitcoincash:000000000000000000000000000000000000000000"}}}}`,
		}, {
			// testdata/gocardless-webhook_request.json is that repository's
			// testdata/webhook_request.json, byte for byte.
			preset:  "gocardless",
			source:  "https://github.com/gocardless/gocardless-pro-go/blob/553b873c5d31d0370a188dbcd02adbae1612042f/webhooks_test.go",
			secrets: []verify.Secret{"testing"},
			header:  hdr("Webhook-Signature", "243f3efa57743c24eec7c5e10edc475b547830d256d5b583745afe319dd90936"),
			body:    mustRead(tb, "testdata/gocardless-webhook_request.json"),
		}, {
			preset:  "pusher",
			source:  "https://github.com/pusher/pusher-http-go/blob/da1cab54cb9c78e204ecf98c0f514b7f2da65a11/webhook_test.go",
			secrets: []verify.Secret{"secret"},
			header:  hdr("X-Pusher-Key", "key", "X-Pusher-Signature", "2677ad3e7c090b2fa2c0fb13020d66d5420879b8316eb356a2d60fb9073bc778"),
			body:    `{"hello":"world"}`,
		}, {
			preset:  "onfido",
			source:  "https://github.com/onfido/onfido-node/blob/2b9faecc1ac81d1a625d4ddb86f8e7795668a181/test/classic-webhook-event-verifier.test.ts",
			secrets: []verify.Secret{"_ABC123abc123ABC123abc123ABC123_"},
			header:  hdr("X-SHA2-Signature", "a0082d7481f9f0a2907583dbe1f344d6d4c0d9989df2fd804f98479f60cd760e"),
			body:    `{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"check-123","status":"complete","completed_at_iso8601":"2020-01-01T00:00:00Z","href":"https://api.onfido.com/v3/checks/check-123"}}}`,
		}, {
			preset:  "sanity",
			source:  "https://github.com/sanity-io/webhook-toolkit/blob/649f5adcd8e9d45f73172b05870863b299ba9bc9/test/signature.test.ts",
			secrets: []verify.Secret{"test"},
			header:  hdr("sanity-webhook-signature", "t=1633519811129,v1=tLa470fx7qkLLEcMOcEUFuBbRSkGujyskxrNXcoh0N0"),
			body:    `{"_id":"resume"}`,
		}, {
			preset:  "hubspot",
			source:  "https://github.com/HubSpot/hubspot-api-nodejs/blob/395cd9bf3bb21252aefc517e11ea64b7db03bd9d/test/unit/signature.spec.ts",
			secrets: []verify.Secret{"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"},
			header:  hdr("X-HubSpot-Signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
			body:    `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`,
		}, {
			// The SDK test signs a far-future timestamp, in milliseconds; the
			// SDK checks age only, as does the preset.
			preset:  "cloudinary",
			source:  "https://github.com/cloudinary/cloudinary_npm/blob/f75fb556ed8ee648698822ca827554846d9c106d/test/utils/utils_spec.js#L1423-L1436",
			secrets: []verify.Secret{"hardcoded"},
			alg:     "sha256",
			header:  hdr("X-Cld-Timestamp", "7952342400000", "X-Cld-Signature", "6c5a29fd8815772fbac2f10ae741e093d0859313947ef8fadeb29126ded6649c"),
			body:    `{"public_id":"b8sjhoslj8cq8ovoa0ma","version":"1555337587","width":1000,"height":800}`,
		}, {
			preset:  "metronome",
			source:  "https://github.com/Metronome-Industries/metronome-node/blob/2ab1cb53506ce69251e3fdafa88dad982450703b/tests/api-resources/webhooks.test.ts",
			secrets: []verify.Secret{"correct-horse-battery-staple"},
			header:  hdr("X-Metronome-Date", "Mon, 02 Jan 2006 22:04:05 GMT", "Metronome-Webhook-Signature", "b82652fa2246cf1d8a27e591f155c865f68b46c19b9213fd9c052f2419b4742b"),
			body: `{
  "id": "b2c9e307-624e-4e7d-a5a4-1b74107d78c4",
  "type": "widget_created",
  "properties": {
    "customer_id": "5f794d50-085a-4db6-8d15-286e518b7225",
    "widget_id": "0891458d-b6f0-4fdd-a41e-380aae1a1e38"
  }
}`,
			now: time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC),
		}, {
			// testdata/adyen-payloadAsString.json is the test's payloadAsString.
			preset:  "adyen-platform",
			source:  "https://github.com/Adyen/adyen-go-api-library/blob/fed7311e5afd37f60f3bafe22173173164f2f297/src/hmacvalidator/hmacvalidator_test.go",
			secrets: []verify.Secret{"DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"},
			header:  hdr("HmacSignature", "yitBTPnDGtbAMG9rTxUa1e6lFGpa4PnrD6rErOmEhJ8="),
			body:    mustRead(tb, "testdata/adyen-payloadAsString.json"),
		}, {
			// The secret "sécret" is precomposed (U+00E9) in the fixture, and
			// testdata/easypost-event-body.json is the fixture's one line, as the
			// SDK test reads it (without its newline).
			preset:  "easypost",
			source:  "https://github.com/EasyPost/examples/blob/112a6d19063aa98934231fc436067d5016da2015/official/fixtures/client-library-fixtures.json (used by https://github.com/EasyPost/easypost-go/blob/6e06a9052613a75865f415b44694773d9e169ade/webhook_test.go)",
			secrets: []verify.Secret{"s\u00e9cret"},
			header:  hdr("X-Hmac-Signature", "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"),
			body:    mustRead(tb, "testdata/easypost-event-body.json"),
		}, {
			preset:  "plivo",
			source:  "https://github.com/plivo/plivo-go/blob/273a8369467eeb2e2603d3916a0f6587dbde4ec4/utils_test.go#L60-L69",
			secrets: []verify.Secret{"my_auth_token"},
			url:     "https://answer.url",
			header:  hdr("X-Plivo-Signature-V2", "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=", "X-Plivo-Signature-V2-Nonce", "12345"),
			body:    `CallUUID=97ceeb52-58b6-11e1-86da-77300b68f8bb&Duration=300`,
			notBody: true,
		},
		// Clerk and Resend sign with Svix (their docs name the svix-*
		// headers and their SDKs call the svix library): this is Svix's
		// published example, not a Clerk or Resend delivery.
		swVector("clerk", svixSource, "svix-"),
		swVector("resend", svixSource, "svix-"),
		// Lithic's and Anthropic's SDKs verify with the standardwebhooks
		// library (webhook-* headers); their tests sign at run time, so this
		// is the Standard Webhooks library's published vector.
		swKAT("lithic", "SDK: https://github.com/lithic-com/lithic-node/blob/22be5971dcd10827314fc7b631fbb6619ccc3c36/src/resources/webhooks.ts"),
		swKAT("anthropic", "SDK: github.com/anthropics/anthropic-sdk-go v1.84.0 betawebhook.go"),
		{
			// testdata/pagerduty-defaultBody.json is the test's defaultBody.
			preset:  "pagerduty",
			source:  "https://github.com/PagerDuty/go-pagerduty/blob/v1.8.0/webhookv3/webhookv3_test.go",
			secrets: []verify.Secret{"lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"},
			header:  hdr("X-PagerDuty-Signature", "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"),
			body:    mustRead(tb, "testdata/pagerduty-defaultBody.json"),
		}}
}

// documented are the shared-secret presets: no signature, so no vector; the
// test sends the header exactly as the provider's docs describe it.
func documented() []kat {
	return []kat{
		{
			preset:  "telegram",
			source:  "https://core.telegram.org/bots/api#setwebhook (header X-Telegram-Bot-Api-Secret-Token carries secret_token)",
			secrets: []verify.Secret{"my_secret-TOKEN_1"},
			header:  hdr("X-Telegram-Bot-Api-Secret-Token", "my_secret-TOKEN_1"),
			body:    `{"update_id":10000,"message":{"message_id":1,"text":"/start"}}`,
			notBody: true,
		},
		// RFC 7617's example credentials, sent as Postmark sends the ones in
		// the webhook URL.
		basicKAT("postmark", "https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook (Basic auth from the URL; credentials from RFC 7617 section 2)",
			`{"RecordType":"Delivery","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483"}`),
		{
			preset:  "okta",
			source:  "https://developer.okta.com/docs/guides/event-hooks/main/ (the hook's authorization header, sent as configured)",
			secrets: []verify.Secret{"my-shared-secret"},
			header:  hdr("Authorization", "my-shared-secret"),
			body:    `{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"b4c2f1","eventType":"user.session.start"}]}}`,
			notBody: true,
		},
	}
}

// handWritten are the presets whose tests live in their scheme's own test
// file. The value names the test, and says when it is not a known answer
// taken from the provider: those presets predate the catalogue and still
// wait for a published vector.
var handWritten = map[string]string{
	"github":           "TestGitHubKnownAnswer (GitHub's docs example)",
	"stripe":           "TestStripeAgainstStripeGo (official SDK cross-check)",
	"standardwebhooks": "TestStandardWebhooksKnownAnswer (the library's vectors)",
	"svix":             "TestStandardWebhooksKnownAnswer (the library's vectors)",
	"slack":            "TestSlackKnownAnswer, TestSlackAgainstSlackGo",
	"twilio":           "TestTwilioKnownAnswer",
	"paddle":           "TestPaddleKnownAnswer",
	"square":           "TestSquareKnownAnswer",
	"sendgrid":         "TestSendGridKnownAnswer",
	"hmac":             "TestConformance/hmac (configured by the user: no provider)",
	"shopify":          "TestConformance/shopify, and a known answer in katsMZ (shopify-api-js)",
	"gitlab":           "TestConformance/gitlab: token equality, no signature",
	"mailgun":          "TestConformance/mailgun, and a known answer in katsMZ (mailgun-php)",
	"zoom":             "TestConformance/zoom: conformance only, no published vector",
	"discord":          "TestConformance/discord: conformance only, no published vector",
	// Handshake presets whose providers publish no fixed signed delivery
	// (their docs and samples compute one at run time); each passes the
	// conformance suite, and its handshake has a test of its own.
	"meta":            "conformance only, no published vector; TestChallenges (hub.challenge)",
	"whatsapp":        "conformance only, no published vector; TestChallenges (hub.challenge)",
	"twitter":         "conformance only, no published vector; TestChallenges (CRC)",
	"dropbox":         "conformance only, no published vector; TestChallenges (challenge)",
	"asana":           "conformance only, no published vector; TestProbes (X-Hook-Secret)",
	"microsoft-graph": "TestGraphBodies (Learn's example notification), TestProbes (validationToken)",
	"paypal":          "TestConformance/paypal, TestPayPalDeliveries: PayPal's documented signed string with a test certificate (no published signed delivery with its certificate)",
	"aws-sns":         "TestConformance/aws-sns, TestSNSMessages: AWS's documented string to sign with a test certificate (AWS's examples carry redacted signatures)",
	// No published vector; cross-checked against the official Go SDK.
	"line": "TestLineAgainstSDK", "buildkite": "TestBuildkiteAgainstSDK",
}

// telnyxRecipe is built from the telnyx-php SDK test's own key pair and
// recipe (its signPayload: Ed25519 over timestamp + "|" + payload, base64):
// the SDK's test signs at run time with time(), so it publishes no fixed
// signature. Ed25519 is deterministic, so this is the signature that test
// would produce at this timestamp; the value is computed here, from the
// SDK's private key, not copied from the SDK.
func telnyxRecipe(tb testing.TB) kat {
	tb.Helper()
	const pub = "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik="
	sk, _ := base64.StdEncoding.DecodeString("p68GNpDl9oAQohBiK0MEOFIjxnoFnz0uGGeJqxQ5PSb7sT30NeKJBe9x41ficebctubmao9Zp3lGEOva5+4KKQ==")
	if len(sk) != ed25519.PrivateKeySize || base64.StdEncoding.EncodeToString(ed25519.PrivateKey(sk).Public().(ed25519.PublicKey)) != pub {
		tb.Fatal("the SDK's test key pair does not match")
	}
	payload, ts := `{"data":{"event_type":"message.received","id":"test-123"}}`, "1750000000"
	sig := ed25519.Sign(ed25519.PrivateKey(sk), []byte(ts+"|"+payload))
	return kat{preset: "telnyx", recipe: true,
		source:  "https://github.com/team-telnyx/telnyx-php/blob/7a7cd942e91fe7df1554f26b32833524a01af53b/tests/Services/WebhooksTest.php (key pair, payload and signing recipe)",
		secrets: []verify.Secret{pub},
		header:  hdr("telnyx-signature-ed25519", base64.StdEncoding.EncodeToString(sig), "telnyx-timestamp", ts),
		body:    payload, now: time.Unix(1750000000, 0)}
}

func TestPresetKnownAnswers(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range slices.Concat(presetKATs(t), []kat{telnyxRecipe(t)}, documented(), katsAL(t), katsMZ(t), katsHandshakes(t)) {
		seen[k.preset] = true
		t.Run(k.preset, func(t *testing.T) {
			if !strings.HasPrefix(k.source, "https://") && !strings.HasPrefix(k.source, "scheme: https://") {
				t.Fatalf("known answer without a source")
			}
			now := k.now
			if now.IsZero() {
				now = time.Unix(1_750_000_000, 0)
			}
			spec := verify.Spec{Type: k.preset, Secrets: k.secrets, URL: k.url, Algorithm: k.alg}
			mustVerify(t, spec, &verify.Request{Header: k.header, Body: []byte(k.body), Now: now}, nil)
			if !k.notBody {
				tampered := []byte(k.body)
				tampered[len(tampered)/2] ^= 1
				mustVerify(t, spec, &verify.Request{Header: k.header, Body: tampered, Now: now}, errInvalid)
			}
			spec.Secrets = []verify.Secret{wrongLike(k.secrets[0])}
			if k.recipe {
				spec.Secrets = []verify.Secret{verify.Secret(base64.StdEncoding.EncodeToString(edKey(9).Public().(ed25519.PublicKey)))}
			}
			mustVerify(t, spec, &verify.Request{Header: k.header, Body: []byte(k.body), Now: now}, errInvalid)
		})
	}
	for _, p := range verify.Catalogue() {
		if !seen[p.Name] && handWritten[p.Name] == "" {
			t.Errorf("preset %s has no known-answer test", p.Name)
		}
	}
}

// wrongLike returns a secret of the same shape as s that is not s.
func wrongLike(s verify.Secret) verify.Secret {
	if rest, ok := strings.CutPrefix(string(s), "whsec_"); ok {
		b, _ := base64.StdEncoding.DecodeString(rest)
		b[0] ^= 1
		return verify.Secret("whsec_" + base64.StdEncoding.EncodeToString(b))
	}
	b := []byte(s)
	switch c := b[len(b)-1]; {
	case c >= '0' && c < '9', c >= 'a' && c < 'f', c >= 'A' && c < 'F':
		b[len(b)-1] = c + 1 // keeps a hex secret hex
	default:
		b[len(b)-1] = '0'
	}
	return verify.Secret(b)
}

// presetCase is the conformance case of a catalogue preset over a generic
// primitive, signed by internal/sign from the preset's parameters.
func presetCase(p verify.Preset) verifytest.Case {
	prm := p.Params
	secrets := [2]verify.Secret{"first-secret-value", "second-secret-value"}
	wrong := verify.Secret("wrong-secret-value")
	switch prm.SecretEncoding {
	case "base64":
		secrets = [2]verify.Secret{"Zmlyc3Qtc2VjcmV0", "c2Vjb25kLXNlY3JldA=="}
		wrong = "d3Jvbmctc2VjcmV0"
	case "hex":
		secrets = [2]verify.Secret{"0102030405060708", "1112131415161718"}
		wrong = "2122232425262728"
	}
	if prm.Scheme == "basic" {
		secrets = [2]verify.Secret{"hookq:first-password", "hookq:second-password"}
		wrong = "hookq:wrong-password"
	}
	keys := map[verify.Secret]crypto.Signer{}
	if p.Primitive == "asymmetric" {
		for i, k := range []ed25519.PrivateKey{edKey(1), edKey(2), edKey(3)} {
			s := verify.Secret(base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)))
			keys[s] = k
			if i < 2 {
				secrets[i] = s
			} else {
				wrong = s
			}
		}
	}
	url := ""
	if strings.Contains(prm.Template, "{url}") {
		url = "https://hooks.example.com/webhooks/" + p.Name
	}
	c := verifytest.Case{
		Spec:    verify.Spec{Type: p.Name, URL: url},
		Secrets: secrets,
		Wrong:   wrong,
		Sign: func(tb testing.TB, s verify.Secret, body []byte, ts time.Time) (http.Header, string) {
			tb.Helper()
			h, err := sign.Sign(sign.Request{Type: p.Name, Secret: string(s), Key: keys[s], Body: body, Now: ts, URL: url, EventID: "evt_1", EventType: "test.event"})
			if err != nil {
				tb.Fatalf("sign: %v", err)
			}
			return h, ""
		},
		Body: []byte(`{"id":"evt_1","type":"test.event","data":{"amount":5000,"currency":"PKR"}}`),
	}
	if !strings.Contains(prm.Template, "{body}") && prm.Template != "" {
		c.BodyNotSigned = true
	}
	switch {
	case p.Primitive == "shared-secret":
		c.BodyNotSigned = true
		c.SignatureHeaders = []string{"Authorization"}
		if prm.Scheme == "header" {
			c.SignatureHeaders = []string{prm.Headers[0]}
		}
		return c
	case prm.HeaderFamily != "":
		c.SignatureHeaders = []string{prm.HeaderFamily + "1"}
	default:
		c.SignatureHeaders = []string{prm.Headers[0]}
	}
	if prm.TimestampHeader != "" {
		c.SignatureHeaders = append(c.SignatureHeaders, prm.TimestampHeader)
	}
	if prm.Tolerance > 0 {
		c.Timestamped, c.Tolerance, c.FutureAccepted = true, prm.Tolerance, prm.AllowFuture
	}
	if prm.Fields == "" && prm.Multi == "" {
		conv := hexToB64
		switch prm.Encoding {
		case "base64":
			conv = b64ToHex
		case "base64url":
			conv = func(v string) string {
				raw, _ := base64.RawURLEncoding.DecodeString(v)
				return hex.EncodeToString(raw)
			}
		}
		c.ReEncode = reencoded(c.SignatureHeaders[0], prm.Prefix, conv)
	}
	return c
}

// generic reports whether a preset's conformance case is built by
// presetCase rather than written by hand.
func generic(p verify.Preset) bool {
	switch p.Primitive {
	case "hmac-body", "hmac-timestamp", "hmac-url", "digest", "asymmetric", "shared-secret":
		return true
	}
	return false
}

// A source's algorithm overrides a preset's only where the provider lets
// the account choose it.
func TestPresetAlgorithmOverride(t *testing.T) {
	if _, err := verify.New(verify.Spec{Type: "github", Algorithm: "sha1", Secrets: []verify.Secret{"k"}}); err == nil {
		t.Fatal("github accepted algorithm: sha1")
	}
	if _, err := verify.New(verify.Spec{Type: "cloudinary", Algorithm: "sha256", Secrets: []verify.Secret{"k"}}); err != nil {
		t.Fatal(err)
	}
}
