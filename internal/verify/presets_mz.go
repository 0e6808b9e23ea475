package verify

import "time"

// catalogueMZ holds the new presets whose names start with m to z; presets.go holds the first ones.
// Their known answers are in presets_mz_test.go.
var catalogueMZ = []Preset{
	// Mux's SDKs check age only (a future t passes), 5 minutes by default.
	{Name: "mux", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"Mux-Signature"}, Fields: ",=", SigKey: "v1", TSKey: "t",
			Template: "{timestamp}.{body}", Tolerance: 5 * time.Minute, AllowFuture: true},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Setup:  "the webhook's signing secret",
		Docs:   "https://docs.mux.com/core/verify-webhook-signatures",
		Covers: "body, timestamp", Uncovered: "URL, other headers"},
	// Conversation and SMS callbacks: body, nonce and timestamp joined by
	// dots. The SDK checks no time window.
	{Name: "sinch", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Sinch-Webhook-Signature"}, Encoding: "base64",
			Template: "{body}.{nonce}.{timestamp}", TimestampHeader: "X-Sinch-Webhook-Signature-Timestamp",
			NonceHeader: "X-Sinch-Webhook-Signature-Nonce"},
		Signature: "`X-Sinch-Webhook-Signature` (HMAC-SHA256, base64, of `{body}.{nonce}.{timestamp}`), `X-Sinch-Webhook-Signature-Nonce`, `X-Sinch-Webhook-Signature-Timestamp`",
		Setup:     "the app's callback secret (Conversation API) or the SMS webhook secret",
		Docs:      "https://developers.sinch.com/docs/conversation/callbacks/#validating-callback-requests",
		Covers:    "body, nonce, timestamp", Uncovered: "time unless tolerance is set, URL"},
	// The application management token keys the HMAC. Smartcar's one-time
	// VERIFY challenge (a POST answered with an HMAC of its challenge) is not
	// answered by this preset.
	{Name: "smartcar", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"SC-Signature"}},
		EventID: Field{JSON: "eventId"}, EventType: Field{JSON: "eventType", Else: &Field{JSON: "eventName"}},
		Setup:  "the application management token; the VERIFY challenge is not answered",
		Docs:   "https://smartcar.com/docs/integrations/webhooks/payload-verification",
		Covers: "body", Uncovered: "time"},
	// The secret is used as the text shown (it looks like base32 but is not decoded).
	{Name: "unit", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Unit-Signature"}, Algorithm: "sha1", Encoding: "base64"},
		EventID: Field{JSON: "data.0.id"}, EventType: Field{JSON: "data.0.type"},
		Setup:  "the webhook's secret token, as shown",
		Docs:   "https://www.unit.co/docs/api/webhooks/#securing-your-webhooks",
		Covers: "body", Uncovered: "time"},
	// Plain's SDK also checks webhookMetadata.webhookDeliveryAttemptTimestamp,
	// an ISO time inside the (signed) body, within 5 minutes; hookq does not.
	{Name: "plain", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"Plain-Request-Signature"}},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Setup:  "the workspace's HMAC secret (Settings → Request signing)",
		Docs:   "https://www.plain.com/docs/api-reference/request-signing",
		Covers: "body (with its delivery timestamp)", Uncovered: "time (the body's timestamp is not checked)"},
	// Moov signs three headers, not the body; its SDK checks no window.
	{Name: "moov", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Signature"}, Algorithm: "sha512", Template: "{timestamp}|{nonce}|{id}",
			TimestampHeader: "X-Timestamp", TimeLayout: time.RFC3339, NonceHeader: "X-Nonce", IDHeader: "X-Webhook-Id"},
		EventID: Field{JSON: "eventID"}, EventType: Field{JSON: "type"},
		Signature: "`X-Signature` (HMAC-SHA512, hex, of `{X-Timestamp}|{X-Nonce}|{X-Webhook-Id}`)",
		Setup:     "the webhook's signing secret",
		Docs:      "https://docs.moov.io/guides/webhooks/check-webhook-signatures/",
		Covers:    "timestamp, nonce, webhook id", Uncovered: "body (use dedupe and re-fetch what matters), time unless tolerance is set"},
	// Whop's official SDKs unwrap deliveries with the standardwebhooks library.
	standardWebhooksPreset("whop", Field{JSON: "type"},
		"the webhook's secret `whsec_…`",
		"https://github.com/whopio/whopsdk-python/blob/57f49d22de45d814717e9c997eb4130246139f08/tests/api_resources/test_webhooks.py"),
	// Make's event subscriptions follow Standard Webhooks 1.0; Webhook-Topic
	// names the event.
	{Name: "make", Primitive: "standardwebhooks", Body: "json",
		EventID: Field{Header: "webhook-id"}, EventType: Field{Header: "Webhook-Topic", Else: &Field{JSON: "type"}},
		Setup:  "the subscription's signing secret `whsec_…`",
		Docs:   "https://developers.make.com/event-subscription/implementation/verify-signatures",
		Covers: "body, timestamp, message id", Uncovered: "URL, Webhook-Topic"},
	{Name: "xendit", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "header", Headers: []string{"X-Callback-Token"}},
		EventType: Field{JSON: "event"},
		Setup:     "the callback verification token from the dashboard",
		Docs:      "https://docs.xendit.co/webhook/getting-started/",
		Covers:    "nothing: the token proves only that the sender knows it", Uncovered: "body, time"},
	// Basic credentials set on the webhook (http_auth_user, http_auth_password).
	{Name: "pipedrive", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "basic"},
		EventType: Field{JSON: "meta.action", Else: &Field{JSON: "event"}},
		Setup:     "user:password, as set on the webhook at Pipedrive",
		Docs:      "https://pipedrive.readme.io/docs/guide-for-webhooks",
		Covers:    "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	// App webhooks: the shop signs with the app secret agreed at registration.
	{Name: "shopware", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"shopware-shop-signature"}},
		EventType: Field{JSON: "data.event"},
		Setup:     "the shop secret the app stored at registration",
		Docs:      "https://developer.shopware.com/docs/guides/plugins/apps/webhook.html",
		Covers:    "body (with its timestamp)", Uncovered: "time (the body's timestamp is not checked)"},
	// Viber signs every callback, the webhook check included, with the bot's token.
	{Name: "viber", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Viber-Content-Signature"}},
		EventID: Field{JSON: "message_token"}, EventType: Field{JSON: "event"},
		Setup:  "the bot's authentication token",
		Docs:   "https://developers.viber.com/docs/api/rest-bot-api/#callbacks",
		Covers: "body", Uncovered: "time"},
	// Worldline (Direct, and Connect, ex Ingenico/GlobalCollect): X-GCS-KeyId
	// names the key; every configured secret is tried.
	{Name: "worldline", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-GCS-Signature"}, Encoding: "base64"},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Setup:  "the webhooks secret key (one per key id)",
		Docs:   "https://docs.direct.worldline-solutions.com/en/integration/api-developer-guide/webhooks",
		Covers: "body", Uncovered: "time, key id"},
	{Name: "paynow", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"Signature"}, Encoding: "base64"},
		EventType: Field{JSON: "status"},
		Setup:     "the signature key from the Paynow panel",
		Docs:      "https://docs.paynow.pl/#tag/Notifications",
		Covers:    "body", Uncovered: "time"},
	// Numbers API callbacks sign the body alone with HMAC-SHA1, unlike
	// Sinch's Conversation and SMS callbacks (the sinch preset).
	{Name: "sinch-numbers", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Sinch-Signature"}, Algorithm: "sha1"},
		EventID: Field{JSON: "eventId"}, EventType: Field{JSON: "eventType"},
		Setup:  "the callback secret set on the Numbers callback configuration",
		Docs:   "https://developers.sinch.com/docs/numbers/api-reference/numbers/tag/Numbers-Callbacks/",
		Covers: "body", Uncovered: "time"},
	// RevenueCat sends the Authorization header value set on the webhook,
	// as is (often "Bearer …"): the whole value is the secret.
	{Name: "revenuecat", Primitive: "shared-secret", Body: "json",
		Params:  Params{Scheme: "header", Headers: []string{"Authorization"}},
		EventID: Field{JSON: "event.id"}, EventType: Field{JSON: "event.type"},
		Setup:  "the authorization header value set on the webhook, whole",
		Docs:   "https://www.revenuecat.com/docs/integrations/webhooks",
		Covers: "nothing: the header value proves only that the sender knows it", Uncovered: "body, time"},
	// Basic credentials set on the webhook (basic_auth_username, basic_auth_password).
	{Name: "marqeta", Primitive: "shared-secret", Body: "json",
		Params: Params{Scheme: "basic"},
		Setup:  "user:password, as set on the webhook at Marqeta",
		Docs:   "https://www.marqeta.com/docs/core-api/webhooks",
		Covers: "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	// A delivery is a batch of events: one hookq event. Basic auth is set
	// on the webhook (auth_type basic).
	{Name: "sparkpost", Primitive: "shared-secret", Body: "json-array",
		Params: Params{Scheme: "basic"},
		Setup:  "user:password, as set on the webhook (auth_type basic)",
		Docs:   "https://developers.sparkpost.com/api/webhooks/",
		Covers: "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	// Retell signs body + the millisecond timestamp; its SDKs allow 5 minutes either way.
	{Name: "retell", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Retell-Signature"}, Fields: ",=", SigKey: "d", TSKey: "v",
			Template: "{body}{timestamp}", Millis: true, Tolerance: 5 * time.Minute},
		EventType: Field{JSON: "event"},
		Setup:     "the Retell API key that has the webhook badge",
		Docs:      "https://docs.retellai.com/features/secure-webhook",
		Covers:    "body, timestamp", Uncovered: "URL, other headers"},
	// Revolut (Business and Merchant APIs): several v1 signatures during a
	// secret rotation; the docs ask for a 5-minute window.
	{Name: "revolut", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"Revolut-Signature"}, Fields: ",=", SigKey: "v1",
			TimestampHeader: "Revolut-Request-Timestamp", Millis: true,
			Template: "v1.{timestamp}.{body}", Tolerance: 5 * time.Minute},
		EventType: Field{JSON: "event"},
		Setup:     "the webhook's signing secret `wsk_…`",
		Docs:      "https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature",
		Covers:    "body, timestamp", Uncovered: "URL, other headers"},
	// Xsolla hashes the body followed by the project's secret key (SHA-1, not an HMAC).
	{Name: "xsolla", Primitive: "digest", Body: "json",
		Params:    Params{Headers: []string{"Authorization"}, Prefix: "Signature ", Algorithm: "sha1", Template: "{body}{secret}"},
		EventType: Field{JSON: "notification_type"},
		Setup:     "the project's webhook secret key",
		Docs:      "https://developers.xsolla.com/solutions/payments/integration-guide/fulfill-order/",
		Covers:    "body", Uncovered: "time"},
	// Mollie's next-gen webhooks; the SDK checks every X-Mollie-Signature header.
	{Name: "mollie", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Mollie-Signature"}, Prefix: "sha256="},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Setup:  "the webhook's signing secret",
		Docs:   "https://docs.mollie.com/reference/webhooks-new",
		Covers: "body", Uncovered: "time"},
	// WorkOS: t in milliseconds; its SDKs allow 180 seconds either way.
	{Name: "workos", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"WorkOS-Signature"}, Fields: ",=", SigKey: "v1", TSKey: "t",
			Template: "{timestamp}.{body}", Millis: true, Tolerance: 180 * time.Second},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "event"},
		Setup:  "the endpoint's webhook secret",
		Docs:   "https://workos.com/docs/events/data-syncing/webhooks",
		Covers: "body, timestamp", Uncovered: "URL, other headers"},
	// Twitch EventSub: message id, RFC 3339 timestamp and body; the docs
	// ask to refuse messages older than 10 minutes. The webhook callback
	// verification (a signed POST whose challenge must be echoed) is not
	// answered by this preset.
	{Name: "twitch", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"Twitch-Eventsub-Message-Signature"}, Prefix: "sha256=",
			Template: "{id}{timestamp}{body}", IDHeader: "Twitch-Eventsub-Message-Id",
			TimestampHeader: "Twitch-Eventsub-Message-Timestamp", TimeLayout: time.RFC3339Nano, Tolerance: 10 * time.Minute},
		EventID: Field{Header: "Twitch-Eventsub-Message-Id"}, EventType: Field{Header: "Twitch-Eventsub-Subscription-Type"},
		Setup:  "the secret given when creating the EventSub subscription; the callback verification challenge is not answered",
		Docs:   "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message",
		Covers: "message id, timestamp, body", Uncovered: "URL, other headers"},
	// Zendesk signs the ISO timestamp followed by the body; no window is documented.
	{Name: "zendesk", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Zendesk-Webhook-Signature"}, Encoding: "base64",
			Template: "{timestamp}{body}", TimestampHeader: "X-Zendesk-Webhook-Signature-Timestamp", TimeLayout: time.RFC3339},
		EventID: Field{Header: "X-Zendesk-Webhook-Invocation-Id"}, EventType: Field{JSON: "type"},
		Setup:  "the webhook's signing secret, as shown",
		Docs:   "https://developer.zendesk.com/documentation/webhooks/verifying/",
		Covers: "body, timestamp", Uncovered: "time unless tolerance is set, URL"},
	// Recurly: "ts,sig[,sig]" with ts in milliseconds; its SDKs allow 5 minutes either way.
	{Name: "recurly", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"Recurly-Signature"}, Multi: ",", MultiTS: true,
			Template: "{timestamp}.{body}", Millis: true, Tolerance: 5 * time.Minute},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "event_type"},
		Signature: "`Recurly-Signature`: `<ms timestamp>,<hex>[,<hex>…]` (HMAC-SHA256 of `{timestamp}.{body}`)",
		Setup:     "the endpoint's signing secret",
		Docs:      "https://recurly.com/developers/guides/signature-verification.html",
		Covers:    "body, timestamp", Uncovered: "URL, other headers"},
	// Stream (Chat, Feeds) signs with the app's API secret. A gzip-compressed
	// delivery is signed over the inflated body, which hookq does not inflate:
	// leave webhook compression off.
	{Name: "stream", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Signature"}},
		EventType: Field{JSON: "type"},
		Setup:     "the app's API secret; webhook compression off",
		Docs:      "https://getstream.io/chat/docs/node/webhooks_overview/",
		Covers:    "body", Uncovered: "time"},
}
