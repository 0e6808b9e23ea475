package verify

import "time"

// catalogue is every provider hookq verifies by name. Each entry is data
// over a primitive; its known-answer test, with the source of the fixture,
// is in presets_test.go. A zero EventID means the id is "sha256:" + hex
// SHA-256 of the raw body. Where a provider has two candidate locations and
// a Field holds one, the comment names the one not taken.
var catalogue = []Preset{
	{Name: "hmac", Primitive: "hmac", Body: "any",
		Docs:   "README.md#generic-hmac",
		Covers: "configurable: the body, with timestamp and id when the template has them", Uncovered: "configurable"},
	{Name: "stripe", Primitive: "stripe", Body: "json",
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Docs:   "https://docs.stripe.com/webhooks#verify-manually",
		Covers: "body, timestamp", Uncovered: "URL, other headers"},
	{Name: "github", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Hub-Signature-256"}, Prefix: "sha256="},
		EventID: Field{Header: "X-GitHub-Delivery"}, EventType: Field{Header: "X-GitHub-Event"},
		Docs:   "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
		Covers: "body", Uncovered: "time (no timestamp: replays are caught only by dedupe), event and delivery headers"},
	{Name: "standardwebhooks", Primitive: "standardwebhooks", Body: "json",
		EventID: Field{Header: "webhook-id"}, EventType: Field{JSON: "type"},
		Docs:   "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
		Covers: "body, timestamp, message id", Uncovered: "URL, other headers"},
	{Name: "svix", Primitive: "svix", Body: "json",
		EventID: Field{Header: "svix-id"}, EventType: Field{JSON: "type"},
		Docs:   "https://docs.svix.com/receiving/verifying-payloads/how-manual",
		Covers: "body, timestamp, message id", Uncovered: "URL, other headers"},
	// The newer platform sends the same headers without the X- prefix and
	// Shopify-Event-Id instead of a webhook id.
	{Name: "shopify", Primitive: "hmac-body", Body: "json",
		Params: Params{Headers: []string{"X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"}, Encoding: "base64"},
		EventID: Field{Header: "X-Shopify-Webhook-Id", Else: &Field{Header: "X-Shopify-Event-Id",
			Else: &Field{Header: "Shopify-Event-Id", Else: &Field{Header: "Shopify-Webhook-Id"}}}},
		EventType: Field{Header: "X-Shopify-Topic", Else: &Field{Header: "Shopify-Topic"}},
		Docs:      "https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook",
		Covers:    "body", Uncovered: "time, topic and id headers"},
	// Envelopes without an inner event (app_rate_limited) have a body "type";
	// the url_verification handshake is answered before extraction.
	{Name: "slack", Primitive: "slack", Body: "json", Handshake: "url_verification (POST, signed)",
		EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event.type", Else: &Field{JSON: "type"}},
		Docs:   "https://api.slack.com/authentication/verifying-requests-from-slack",
		Covers: "body, timestamp", Uncovered: "URL, other headers"},
	// Twilio form posts carry MessageSid/CallSid as form fields, which a JSON
	// path cannot reach: one delivery is one event, identified by its body.
	{Name: "twilio", Primitive: "twilio", Body: "form",
		Docs:   "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
		Covers: "URL, form parameters (JSON bodies: their SHA-256 in the URL)", Uncovered: "time"},
	{Name: "paddle", Primitive: "paddle", Body: "json",
		EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event_type"},
		Docs:   "https://developer.paddle.com/webhooks/signature-verification",
		Covers: "body, timestamp", Uncovered: "URL, other headers"},
	{Name: "square", Primitive: "square", Body: "json",
		EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "type"},
		Docs:   "https://developer.squareup.com/docs/webhooks/step3validate",
		Covers: "notification URL, body", Uncovered: "time"},
	// type is a number: 1 PING (a handshake), 2 APPLICATION_COMMAND, …
	{Name: "discord", Primitive: "discord", Body: "json", Handshake: "PING (POST, signed)",
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Docs:   "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers",
		Covers: "body, timestamp", Uncovered: "time unless tolerance is set"},
	// Idempotency-Key (recent GitLab) stays the same across retries of one
	// delivery, which is what dedupe needs; older GitLab sends only the UUID.
	{Name: "gitlab", Primitive: "shared-secret", Body: "json",
		Params:  Params{Scheme: "header", Headers: []string{"X-Gitlab-Token"}},
		EventID: Field{Header: "Idempotency-Key", Else: &Field{Header: "X-Gitlab-Event-UUID"}}, EventType: Field{Header: "X-Gitlab-Event"},
		Docs:   "https://docs.gitlab.com/user/project/integrations/webhooks/#create-a-secret-token",
		Covers: "nothing: the token proves only that the sender knows it", Uncovered: "body, time"},
	{Name: "mailgun", Primitive: "mailgun", Body: "json", FormEventType: Field{JSON: "event"},
		EventID: Field{JSON: "event-data.id"}, EventType: Field{JSON: "event-data.event"},
		Docs:   "https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#securing-webhooks",
		Covers: "timestamp, token", Uncovered: "event data (a token reused with other data is refused, per process)"},
	{Name: "linear", Primitive: "linear", Body: "json",
		EventID: Field{Header: "Linear-Delivery"}, EventType: Field{Header: "Linear-Event"},
		Docs:   "https://linear.app/developers/webhooks#securing-webhooks",
		Covers: "body (with its webhookTimestamp)", Uncovered: "URL, headers"},
	// Zoom bodies carry no event id; event_ts plus the object id is not unique.
	{Name: "zoom", Primitive: "zoom", Body: "json", Handshake: "endpoint.url_validation (POST, signed)",
		EventType: Field{JSON: "event"},
		Docs:      "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
		Covers:    "body, timestamp", Uncovered: "URL, other headers"},
	{Name: "intercom", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"X-Hub-Signature"}, Prefix: "sha1=", Algorithm: "sha1"},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "topic"},
		Docs:   "https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications",
		Covers: "body", Uncovered: "time"},
	// A SendGrid POST is a batch of events: one delivery, one hookq event.
	{Name: "sendgrid", Primitive: "sendgrid", Body: "json-array",
		EventType: Field{JSON: "0.event"},
		Docs:      "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
		Covers:    "body, timestamp", Uncovered: "time unless tolerance is set"},
}

var _ = time.Second
