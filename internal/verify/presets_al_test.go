package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/verify"
)

// recipeMAC applies a provider SDK test's own signing recipe to that test's
// own inputs: for tests that sign at run time instead of pinning a value.
// HMAC is deterministic, so this is the value those tests produce.
func recipeMAC(h func() hash.Hash, key, msg string, b64 bool) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	if b64 {
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// linearBody is the delivery of Linear's SDK test (LinearWebhooks.test.ts),
// serialised as its JSON.stringify does; the test stamps webhookTimestamp
// with the current time, so a fixed instant stands in for it here.
const linearBody = `{"action":"create","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","createdAt":"2020-01-23T12:53:18.084Z","updatedAt":"2020-01-23T12:53:18.084Z","archivedAt":null,"body":"Indeed, I think this is definitely an improvement over the previous version.","edited":false,"issueId":"539068e2-ae88-4d09-bd75-22eb4a59612f","userId":"aacdca22-6266-4c0a-ab3c-8fa70a26765c"},"type":"Comment","url":"https://linear.app/issue/LIN-1778/foo-bar#comment-77217de3-fb52-4dad-bb9a-b356beb93de8","createdAt":"2020-01-23T12:53:18.084Z","webhookTimestamp":1579783998084}`

// kontentBody is the payload of Kontent.ai's webhook helper test: its
// JSON.stringify(payload, null, 2) with the CRLF line breaks the helper
// hashes.
var kontentBody = strings.ReplaceAll(`{
  "notifications": [
    {
      "data": {
        "system": {
          "id": "74fda2ec-5f05-45e6-801c-0b041697256c",
          "name": "This changes everything!",
          "codename": "this_changes_everything_",
          "collection": "default",
          "workflow": "default",
          "workflow_step": "published",
          "language": "default",
          "type": "product_update",
          "last_modified": "2025-11-26T10:12:53.4900599Z"
        }
      },
      "message": {
        "environment_id": "2db94c54-294a-016e-81d4-826f7e4a11d8",
        "object_type": "content_item",
        "action": "workflow_step_changed",
        "delivery_slot": "preview",
        "action_context": {
          "previous_workflow": "default",
          "previous_workflow_step": "draft"
        }
      }
    }
  ]
}`, "\n", "\r\n")

// flagsmithBody is the envelope of the environment webhook payload in
// Flagsmith's docs.
const flagsmithBody = `{"data":{"changed_by":"user@domain.com","timestamp":"2021-06-18T07:50:26.595298Z"},"event_type":"FLAG_UPDATED"}`

// katsAL are the known answers of the presets in presets.yaml named a to l, and of the
// older a-to-l presets that had none.
func katsAL(tb testing.TB) []kat {
	tb.Helper()
	return []kat{{
		// Published signatures, copied from the providers' SDK tests.
		preset:  "finch",
		source:  "https://github.com/Finch-API/finch-api-node/blob/9f2c5993916e4ab9a4f664cf67a7859bccecaf88/tests/api-resources/webhooks.test.ts",
		secrets: []verify.Secret{"5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"},
		header: hdr("finch-event-id", "msg_2Lh9KRb0pzN4LePd3XiA4v12Axj", "finch-timestamp", "1676312382",
			"finch-signature", "v1,m7y0TV2C+hlHxU42wCieApTSTaA8/047OAplBqxIV/s="),
		body: `{"company_id":"720be419-0293-4d32-a707-32179b0827ab"}`,
		now:  time.Unix(1676312382, 0),
	}, {
		preset:  "increase",
		source:  "https://github.com/Increase/increase-node/blob/0d6c1de1807cd4735982d28b0623dd7b95939c5e/tests/api-resources/webhooks.test.ts",
		secrets: []verify.Secret{"whsec_zlFsbBZ8Xcodlpcu6NDTdSzZRLSdhkst"},
		header:  hdr("Increase-Webhook-Signature", "t=2022-01-31T23:59:59Z,v1=3f9c3dcc820ca3adfae8e196d05b09dfef63b91db5ce5ac1407090f2aa424a6f"),
		body:    `{"id":"event_123abc","created_at":"2020-01-31T23:59:59Z"}`,
		now:     time.Date(2022, 1, 31, 23, 59, 59, 0, time.UTC),
	}, {
		preset:  "cronofy",
		source:  "https://github.com/cronofy/cronofy-ruby/blob/c953a9d2c50afde711825655afabb6abd328681f/spec/lib/cronofy/client_spec.rb#L2849-L2870",
		secrets: []verify.Secret{"pDY0Oi7TJSP2hfNmZNkm5"},
		header:  hdr("Cronofy-HMAC-SHA256", "6r2/HjBkqymGegX0wOfifieeUXbbHwtV/LohHS+jv6c=,something-else"),
		body:    `{"example":"well-known"}`,
	}, {
		preset:  "lightspark",
		source:  "https://github.com/lightsparkdev/js-sdk/blob/7aac87ea60cf260cbbfd55d44027e9f22be82638/packages/lightspark-sdk/src/tests/webhooks.test.ts",
		secrets: []verify.Secret{"3gZ5oQQUASYmqQNuEk0KambNMVkOADDItIJjzUlAWjX"},
		header:  hdr("lightspark-signature", "62a8829aeb48b4142533520b1f7f86cdb1ee7d718bf3ea15bc1c662d4c453b74"),
		body:    `{"event_type": "NODE_STATUS", "event_id": "1615c8be5aa44e429eba700db2ed8ca5", "timestamp": "2023-05-17T23:56:47.874449+00:00", "entity_id": "lightning_node:01882c25-157a-f96b-0000-362d42b64397"}`,
	}, {
		preset:  "kontent-ai",
		source:  "https://github.com/kontent-ai/webhook-helper-js/blob/58fd63112e118898289c5e1caf7c0fbfb3900c37/test/signatures/signature.spec.ts",
		secrets: []verify.Secret{"hx3snVrI9E2Lgpi1LaL+WfiPWCh88OjI7Bv/3ihq+Qo="},
		header:  hdr("X-Kontent-ai-Signature", "k97ud4G3+Bo58p4LDJQY8SK81AThPMIDlZQjyWJbOgI="),
		body:    kontentBody,
	}, {
		preset:  "fingerprint",
		source:  "https://github.com/fingerprintjs/fingerprint-pro-server-api-go-sdk/blob/2749a2cae4d937e302153f125cc904c45c6dff46/test/webhook_test.go",
		secrets: []verify.Secret{"secret"},
		header:  hdr("fpjs-event-signature", "v1=1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db"),
		body:    "data",
	}, {
		preset:  "gr4vy",
		source:  "https://github.com/gr4vy/gr4vy-python/blob/79c579dbb0fe0e0a5452a7b731a6cc9b2c1fc9e9/tests/test_webhooks.py",
		secrets: []verify.Secret{"Ik4L-8FH0ihWczctcIPXZRR_8F0fPNgmhEfVBbZ3zNwqQVa1Or4tBz4Pgw2eNaVDod7H56Y268h_wohEUaWbUg"},
		header: hdr("X-Gr4vy-Webhook-Signatures", "78aca0c78005107a654a957b8566fa6e0e5e06aea92d7da72a6da9e5a690d013,other",
			"X-Gr4vy-Webhook-Timestamp", "1744018920"),
		body: "payload",
		now:  time.Unix(1744018920, 0),
	}, {
		preset:  "logto",
		source:  "https://github.com/logto-io/logto/blob/0c79437ba436acc26d4c56ed7ebb6f2c6e4b11c5/packages/core/src/utils/sign.test.ts (JSON.stringify of the test's payload)",
		secrets: []verify.Secret{"foo"},
		header:  hdr("logto-signature-sha-256", "436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee"),
		body:    `{"bar":"bar","foo":"foo"}`,
	}, {
		// The vector file is generated from Convoy's server signing code
		// and shared by its SDKs.
		preset:  "convoy",
		source:  "https://github.com/frain-dev/convoy-go/blob/3ea9c736d6cd5f919705e6611fa039a40ba3b086/testdata/signature-vectors.json (simple_sha256_hex_valid)",
		secrets: []verify.Secret{"convoy-webhook-secret"},
		header:  hdr("X-Convoy-Signature", "244449b7f48cbc2709060c9dcdc2b3aa47a78f540430579015c579fb12defbb4"),
		body:    `{"event":"charge.success","amount":1000,"currency":"NGN"}`,
	}, {
		preset:  "convoy",
		source:  "https://github.com/frain-dev/convoy-go/blob/3ea9c736d6cd5f919705e6611fa039a40ba3b086/testdata/signature-vectors.json (simple_sha512_hex_valid)",
		secrets: []verify.Secret{"convoy-webhook-secret"},
		alg:     "sha512",
		header:  hdr("X-Convoy-Signature", "6cc772dc81942ae1b5ffa91c3a6a07b0d37edc8dc6bd83e3518a219f1f19ff71ae1b76d6b320940d414c236a1aad7f7930b63e0f1928951955d31219545e1b66"),
		body:    `{"event":"charge.success","amount":1000,"currency":"NGN"}`,
	}, {
		// Recipes: the SDK test's own secret, body and time, signed as
		// that test signs them (it pins no signature value).
		preset: "elevenlabs", recipe: true,
		source:  "https://github.com/elevenlabs/elevenlabs-python/blob/a91df3580b88547dc06c9369f646e9131abd63c7/tests/test_webhooks.py (test_construct_event_mocked_time: secret, payload, timestamp and recipe)",
		secrets: []verify.Secret{"test_secret"},
		header: hdr("ElevenLabs-Signature", "t=1600000000,v0="+recipeMAC(sha256.New, "test_secret",
			`1600000000.{"event_type": "speech.completed", "id": "123456"}`, false)),
		body: `{"event_type": "speech.completed", "id": "123456"}`,
		now:  time.Unix(1600000000, 0),
	}, {
		preset: "clearbit", recipe: true,
		source:  "https://github.com/clearbit/clearbit-ruby/blob/4a9051ce670e066f3b14c6b917162e2601647d0f/spec/lib/clearbit/webhook_spec.rb (key and body; recipe in spec/support/helpers.rb)",
		secrets: []verify.Secret{"clearbit_key"},
		header:  hdr("X-Request-Signature", "sha1="+recipeMAC(sha1.New, "clearbit_key", "A-OK", false)),
		body:    "A-OK",
	}, {
		preset: "help-scout", recipe: true,
		source:  "https://github.com/helpscout/helpscout-api-php/blob/6a9bc48a9e988181e7e87e178a579e21541dcbc8/tests/Webhooks/IncomingWebhookTest.php (testCreateIncomingWebhook: secret, body and generateSignature)",
		secrets: []verify.Secret{"asdffdsa"},
		header:  hdr("X-HelpScout-Signature", recipeMAC(sha1.New, "asdffdsa", `{"id":123}`, true), "X-HelpScout-Event", "helpscout.test"),
		body:    `{"id":123}`,
	}, {
		preset: "grafana", recipe: true,
		source:  "https://github.com/grafana/alerting/blob/2acbeef29642fc3d89c7f3f0ad2f78e01c6d673e/http/hmac_test.go (case \"Empty header uses default\": secret, body and computeHMAC)",
		secrets: []verify.Secret{"secret"},
		header:  hdr("X-Grafana-Alerting-Signature", recipeMAC(sha256.New, "secret", "test message", false)),
		body:    "test message",
	}, {
		preset: "linear", recipe: true,
		source:  "https://github.com/linear/linear/blob/fcfb6981205980b899ca07e8ca7735e81b701b5f/packages/sdk/src/_tests/LinearWebhooks.test.ts (secret, body and recipe; webhookTimestamp fixed)",
		secrets: []verify.Secret{"SECRET"},
		header:  hdr("Linear-Signature", recipeMAC(sha256.New, "SECRET", linearBody, false)),
		body:    linearBody,
		now:     time.UnixMilli(1579783998084),
	}, {
		// Ghost's own test signs under fake timers, so Date.now() and t are 0.
		preset: "ghost", recipe: true,
		source:  "https://github.com/TryGhost/Ghost/blob/14c888d2cb615b923a7662c65f4ee1df2b485381/ghost/core/test/unit/server/services/webhooks/trigger.test.js (\"uses the request payload and a timestamp…\": secret, payload, timestamp and recipe)",
		secrets: []verify.Secret{"abc123dontstealme"},
		header:  hdr("X-Ghost-Signature", "sha256="+recipeMAC(sha256.New, "abc123dontstealme", `{"event":"post.added","data":[1]}0`, false)+", t=0"),
		body:    `{"event":"post.added","data":[1]}`,
		now:     time.UnixMilli(0),
	}, {
		preset: "langfuse", recipe: true,
		source:  "https://github.com/langfuse/langfuse/blob/3a232ac27f1806bd3beb1829426409ceccc9b359/worker/src/__tests__/signature.test.ts (generateWebhookSignature's fixed payload, timestamp and secret; header format from createSignatureHeader)",
		secrets: []verify.Secret{"test_secret_key"},
		header:  hdr("x-langfuse-signature", "t=1640995200,v1="+recipeMAC(sha256.New, "test_secret_key", `1640995200.{"test": "data"}`, false)),
		body:    `{"test": "data"}`,
		now:     time.Unix(1640995200, 0),
	}, {
		// Docs' secret and recipe; the body is the docs' payload cut down
		// to its envelope.
		preset: "flagsmith", recipe: true,
		source:  "https://github.com/Flagsmith/flagsmith/blob/cf16f3d1fdac2462fefcd9c0226fca722f11dff8/docs/docs/administration-and-security/platform-configuration/environment-settings.md (\"Validating Signature\": secret \"my shared secret\", HMAC-SHA256 hex of the raw body)",
		secrets: []verify.Secret{"my shared secret"},
		header:  hdr("X-Flagsmith-Signature", recipeMAC(sha256.New, "my shared secret", flagsmithBody, false)),
		body:    flagsmithBody,
	}, {
		preset: "growthbook", recipe: true,
		source:  "https://github.com/growthbook/growthbook/blob/368b4a3c75365d06d6fbea7f492865d533400a81/docs/app/webhooks/event-webhooks.mdx (\"Verify Signatures\": secret \"abc123\", HMAC-SHA256 hex of the raw body)",
		secrets: []verify.Secret{"abc123"},
		header:  hdr("X-GrowthBook-Signature", recipeMAC(sha256.New, "abc123", `{"event":"feature.updated","object":"feature","data":{}}`, false)),
		body:    `{"event":"feature.updated","object":"feature","data":{}}`,
	},
		// Svix's example vector, as Goody's docs print it.
		swVector("goody", "https://developer.ongoody.com/webhooks/webhook-security (the docs' secret, svix-* headers and payload)", "svix-"),
		{
			// Intercom's own webhook samples: their key "secret" and recipe
			// ('sha1=' + hex HMAC-SHA1 of the raw body) and one of their sample
			// deliveries (testdata/intercom-user.created.json, byte for byte).
			preset: "intercom", recipe: true,
			source:  "https://github.com/intercom-archive/intercom-webhooks/blob/31669eb2e986d2e79c60ed085378162c8ef94061/node/index.js (key and recipe; payload sample_webhook_output/user.created.txt)",
			secrets: []verify.Secret{"secret"},
			header:  hdr("X-Hub-Signature", "sha1="+recipeMAC(sha1.New, "secret", mustRead(tb, "testdata/intercom-user.created.json"), false)),
			body:    mustRead(tb, "testdata/intercom-user.created.json"),
		},
		// Standard Webhooks providers that publish no delivery of their own.
		swKAT("imagekit", "ImageKit's docs: https://imagekit.io/docs/webhooks; SDK: https://github.com/imagekit-developer/imagekit-nodejs/blob/3b95a962395d62aee0c8133efce3bc863a0332bf/src/resources/webhooks.ts"),
		swKAT("liveblocks", "SDK verifies webhook-* with the svix library: https://github.com/liveblocks/liveblocks/blob/01e1754c39349bda6ee42b8ad182ca8566571ef6/packages/liveblocks-node/src/__tests__/webhooks.test.ts"),
		swKAT("dodo-payments", "docs: https://docs.dodopayments.com/developer-resources/webhooks"),
		swKAT("loops", "docs: https://loops.so/docs/webhooks"),
		swKAT("ahasend", "docs: https://ahasend.com/docs/api-reference/webhooks/security (\"Standard Webhooks security headers\")"),
		swKAT("incident-io", "docs: https://docs.incident.io/api-reference/webhooks (\"powered by Svix\", webhook-* headers)"),
		{
			// Shared secrets: no signature, so the header as documented.
			preset:  "alloy",
			source:  "https://developer.alloy.com/public/docs/basic-authentication (the page's example credentials and header)",
			secrets: []verify.Secret{"A7K4X9T2MB:L0N5C8V1QZ"},
			header:  hdr("Authorization", "Basic QTdLNFg5VDJNQjpMME41QzhWMVFa"),
			body:    `{"event_type":"evaluation.completed"}`,
			notBody: true,
		},
		basicKAT("brevo", "https://developers.brevo.com/docs/username-and-password-authentication (Basic auth from the URL; credentials from RFC 7617 section 2)",
			`{"event":"delivered","email":"example@example.com","id":1}`),
		basicKAT("chargebee", "https://www.chargebee.com/docs/webhook_settings.html (basic authentication; credentials from RFC 7617 section 2)",
			`{"id":"ev_16BPgETyVrQbiGhA","event_type":"subscription_created"}`),
		{
			preset:  "cloudflare",
			source:  "https://developers.cloudflare.com/notifications/reference/webhook-payload-schema/ (the destination secret is sent in cf-webhook-auth)",
			secrets: []verify.Secret{"my-secret"},
			header:  hdr("cf-webhook-auth", "my-secret"),
			body:    `{"name":"Test","text":"Test notification","alert_type":"universal_ssl_event_type"}`,
			notBody: true,
		}, {
			preset:  "documenso",
			source:  "https://github.com/documenso/documenso/blob/29020bcbedcbefb428e8f7d04804436e44a5c6fa/apps/docs/content/docs/developers/webhooks/verification.mdx (the docs' example request)",
			secrets: []verify.Secret{"your_webhook_secret_here"},
			header:  hdr("X-Documenso-Secret", "your_webhook_secret_here"),
			body:    `{"event": "DOCUMENT_COMPLETED", "payload": {}}`,
			notBody: true,
		}, {
			preset:  "auth0",
			source:  "https://auth0.com/docs/customize/log-streams/custom-log-streams (Authorization Token: \"the value in the Authorization header of the request\")",
			secrets: []verify.Secret{"Bearer my-log-stream-token"},
			header:  hdr("Authorization", "Bearer my-log-stream-token"),
			body:    `[{"log_id":"90020230518192144012520000000000000001223372036854775808","data":{"type":"s","description":"Successful login"}}]`,
			notBody: true,
		}, {
			preset:  "hugging-face",
			source:  "https://huggingface.co/docs/hub/webhooks#webhook-secret (the secret is sent in X-Webhook-Secret)",
			secrets: []verify.Secret{"my_dummy_secret"},
			header:  hdr("X-Webhook-Secret", "my_dummy_secret"),
			body:    `{"event":{"action":"update","scope":"repo.content"}}`,
			notBody: true,
		}}
}
