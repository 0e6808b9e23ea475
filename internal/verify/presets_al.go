package verify

import "time"

// catalogueAL holds the new presets whose names start with a to l; presets.go holds the first ones.
// Their known answers, with the source of each fixture, are in presets_al_test.go.
var catalogueAL = []Preset{
	// The credentials are set on the webhook at Alloy.
	{Name: "alloy", Primitive: "shared-secret", Body: "json",
		Params: Params{Scheme: "basic"},
		Setup:  "user:password, as configured on the webhook at Alloy",
		Docs:   "https://developer.alloy.com/public/docs/basic-authentication",
		Covers: "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	// Basic credentials put in the webhook URL (https://user:pass@host/…).
	{Name: "brevo", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "basic"},
		EventType: Field{JSON: "event"},
		Setup:     "user:password, as put in the webhook URL at Brevo",
		Docs:      "https://developers.brevo.com/docs/username-and-password-authentication",
		Covers:    "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	{Name: "chargebee", Primitive: "shared-secret", Body: "json",
		Params:  Params{Scheme: "basic"},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "event_type"},
		Setup:  "user:password, as set under the webhook's basic authentication at Chargebee",
		Docs:   "https://www.chargebee.com/docs/webhook_settings.html",
		Covers: "nothing: the credentials prove only that the sender knows them", Uncovered: "body, time"},
	// Notification webhooks: the destination's secret is sent as is.
	{Name: "cloudflare", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "header", Headers: []string{"cf-webhook-auth"}},
		EventType: Field{JSON: "alert_type"},
		Setup:     "the secret set on the notification webhook destination",
		Docs:      "https://developers.cloudflare.com/notifications/reference/webhook-payload-schema/",
		Covers:    "nothing: the secret proves only that the sender knows it", Uncovered: "body, time"},
	// The SDK reads the signature as Cronofy-HMAC-SHA256 and accepts any of
	// several comma-separated values.
	{Name: "cronofy", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"Cronofy-HMAC-SHA256"}, Encoding: "base64", Multi: ","},
		EventType: Field{JSON: "notification.type"},
		Setup:     "the application's client secret",
		Docs:      "https://github.com/cronofy/notification-hmac-examples",
		Covers:    "body", Uncovered: "time"},
	standardWebhooksPreset("dodo-payments", Field{JSON: "type"},
		"the endpoint's secret key `whsec_…`",
		"https://docs.dodopayments.com/developer-resources/webhooks"),
	// The SDK checks age only: 30 minutes.
	{Name: "elevenlabs", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"ElevenLabs-Signature"}, Fields: ",=", TSKey: "t", SigKey: "v0",
			Template: "{timestamp}.{body}", Tolerance: 30 * time.Minute, AllowFuture: true},
		EventType: Field{JSON: "type"},
		Setup:     "the webhook's HMAC secret",
		Docs:      "https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks",
		Covers:    "body, timestamp", Uncovered: "URL"},
	// Svix-style, under Finch's own header names; the secret is base64.
	{Name: "finch", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"finch-signature"}, Fields: " ,", SigKey: "v1", Encoding: "base64", SecretEncoding: "base64",
			Template: "{id}.{timestamp}.{body}", IDHeader: "finch-event-id", TimestampHeader: "finch-timestamp", Tolerance: 5 * time.Minute},
		EventID: Field{Header: "finch-event-id"}, EventType: Field{JSON: "event_type"},
		Setup:  "the webhook secret (base64), as returned when the webhook was created",
		Docs:   "https://github.com/Finch-API/finch-api-node/blob/main/src/resources/webhooks.ts",
		Covers: "body, timestamp, event id", Uncovered: "URL, other headers"},
	// Alerting contact points sign the body; with a timestamp header
	// configured Grafana signs "{timestamp}:{body}": use type hmac for that.
	{Name: "grafana", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Grafana-Alerting-Signature"}},
		EventType: Field{JSON: "status"},
		Setup:     "the contact point's HMAC secret, default header, no timestamp header",
		Docs:      "https://github.com/grafana/alerting/blob/main/http/hmac.go",
		Covers:    "body", Uncovered: "time"},
	{Name: "help-scout", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-HelpScout-Signature"}, Encoding: "base64", Algorithm: "sha1"},
		EventType: Field{Header: "X-HelpScout-Event"},
		Setup:     "the webhook's secret key",
		Docs:      "https://developer.helpscout.com/webhooks",
		Covers:    "body", Uncovered: "time, event header"},
	// Clearbit (now part of HubSpot) keys the HMAC with the account's API key.
	{Name: "clearbit", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Request-Signature"}, Prefix: "sha1=", Algorithm: "sha1"},
		EventType: Field{JSON: "type"},
		Setup:     "the Clearbit API key",
		Docs:      "https://github.com/clearbit/clearbit-ruby/blob/master/lib/clearbit/webhook.rb",
		Covers:    "body", Uncovered: "time"},
	{Name: "hugging-face", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "header", Headers: []string{"X-Webhook-Secret"}},
		EventType: Field{JSON: "event.scope"},
		Setup:     "the secret set on the webhook in the Hub's settings",
		Docs:      "https://huggingface.co/docs/hub/webhooks#webhook-secret",
		Covers:    "nothing: the secret proves only that the sender knows it", Uncovered: "body, time"},
	// ImageKit now follows Standard Webhooks; its older x-ik-signature
	// scheme is not covered.
	standardWebhooksPreset("imagekit", Field{JSON: "type"},
		"the webhook secret `whsec_…` from the dashboard",
		"https://imagekit.io/docs/webhooks"),
	// t is an RFC 3339 time; the secret is used as is, whsec_ included.
	{Name: "increase", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"Increase-Webhook-Signature"}, Fields: ",=", TSKey: "t", SigKey: "v1",
			Template: "{timestamp}.{body}", TimeLayout: time.RFC3339, Tolerance: 5 * time.Minute},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "category"},
		Setup:  "the event subscription's shared secret",
		Docs:   "https://increase.com/documentation/webhooks",
		Covers: "body, timestamp", Uncovered: "URL"},
	// A delivery is a batch of notifications: one hookq event. Kontent.ai
	// sends CRLF line breaks and its helper normalises any LF back to CRLF
	// before hashing: a proxy that rewrites line breaks breaks verification.
	{Name: "kontent-ai", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Kontent-ai-Signature"}, Encoding: "base64"},
		EventType: Field{JSON: "notifications.0.message.action"},
		Setup:     "the webhook's secret",
		Docs:      "https://kontent.ai/learn/docs/webhooks/webhooks/javascript#a-validate-received-notifications",
		Covers:    "body", Uncovered: "time"},
	{Name: "lightspark", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"lightspark-signature"}},
		EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event_type"},
		Setup:  "the webhook signing secret",
		Docs:   "https://github.com/lightsparkdev/js-sdk/blob/main/packages/lightspark-sdk/src/webhooks.ts",
		Covers: "body", Uncovered: "time"},
	standardWebhooksPreset("liveblocks", Field{JSON: "type"},
		"the webhook secret `whsec_…` from the project's webhooks page",
		"https://liveblocks.io/docs/platform/webhooks"),
	standardWebhooksPreset("loops", Field{JSON: "eventName"},
		"the signing secret `whsec_…` from Settings → Webhooks",
		"https://loops.so/docs/webhooks"),
	// Enterprise webhook signing: every active secret adds a v1 item.
	{Name: "fingerprint", Primitive: "hmac-body", Body: "json",
		Params:  Params{Headers: []string{"fpjs-event-signature"}, Fields: ",=", SigKey: "v1"},
		EventID: Field{JSON: "requestId"},
		Setup:   "the webhook's signing secret",
		Docs:    "https://dev.fingerprint.com/docs/webhooks",
		Covers:  "body", Uncovered: "time"},
	// Comma-separated signatures, one per active secret. The SDKs check
	// age only, and only when given a tolerance.
	{Name: "gr4vy", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Gr4vy-Webhook-Signatures"}, Multi: ",",
			Template: "{timestamp}.{body}", TimestampHeader: "X-Gr4vy-Webhook-Timestamp", Tolerance: 5 * time.Minute, AllowFuture: true},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "name"},
		Setup:  "the webhook subscription's secret",
		Docs:   "https://github.com/gr4vy/gr4vy-php#verify-webhook-signature",
		Covers: "body, timestamp", Uncovered: "URL, webhook id"},
	// Sent through Svix under the webhook-* names.
	standardWebhooksPreset("incident-io", Field{JSON: "event_type"},
		"the endpoint's signing secret `whsec_…` from Settings → Webhooks",
		"https://docs.incident.io/api-reference/webhooks"),
	// t is in milliseconds and follows the body in what is signed. Ghost
	// documents no window: five minutes here.
	{Name: "ghost", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"X-Ghost-Signature"}, Fields: ",=", SigKey: "sha256", TSKey: "t",
			Template: "{body}{timestamp}", Millis: true, Tolerance: 5 * time.Minute},
		EventType: Field{JSON: "event"},
		Setup:     "the secret set on the custom integration's webhook",
		Docs:      "https://ghost.org/docs/webhooks/",
		Covers:    "body, timestamp", Uncovered: "URL"},
	{Name: "langfuse", Primitive: "hmac-timestamp", Body: "json",
		Params: Params{Headers: []string{"x-langfuse-signature"}, Fields: ",=", TSKey: "t", SigKey: "v1",
			Template: "{timestamp}.{body}", Tolerance: 5 * time.Minute},
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"},
		Setup:  "the webhook's secret `lf-whsec_…`, used as is",
		Docs:   "https://github.com/langfuse/langfuse/blob/main/packages/shared/src/encryption/signature.ts",
		Covers: "body, timestamp", Uncovered: "URL"},
	{Name: "logto", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"logto-signature-sha-256"}},
		EventType: Field{JSON: "event"},
		Setup:     "the webhook's signing key",
		Docs:      "https://docs.logto.io/developers/webhooks/secure-webhooks",
		Covers:    "body", Uncovered: "time"},
	// Simple signatures, Convoy's default: the project picks SHA256 or
	// SHA512 (set algorithm); base64 projects and advanced signatures
	// ("t=…,v1=…") are not covered: use type hmac for those.
	{Name: "convoy", Primitive: "hmac-body", Body: "any",
		Params: Params{Headers: []string{"X-Convoy-Signature"}, AccountAlgorithm: true},
		Setup:  "the endpoint's secret; algorithm sha512 if the project signs with SHA512",
		Docs:   "https://www.getconvoy.io/docs/manual/signatures",
		Covers: "body", Uncovered: "time"},
	// Environment and organisation webhooks, and the identity integration.
	{Name: "flagsmith", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Flagsmith-Signature"}},
		EventType: Field{JSON: "event_type"},
		Setup:     "the secret set on the webhook",
		Docs:      "https://github.com/Flagsmith/flagsmith/blob/main/docs/docs/administration-and-security/platform-configuration/environment-settings.md",
		Covers:    "body", Uncovered: "time"},
	// Event webhooks. The deprecated SDK webhooks follow Standard Webhooks:
	// configure type standardwebhooks for those.
	{Name: "growthbook", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-GrowthBook-Signature"}},
		EventType: Field{JSON: "event"},
		Setup:     "the event webhook's secret `ewhk_…`",
		Docs:      "https://github.com/growthbook/growthbook/blob/main/docs/app/webhooks/event-webhooks.mdx",
		Covers:    "body", Uncovered: "time"},
	// The configured secret is sent as is.
	{Name: "documenso", Primitive: "shared-secret", Body: "json",
		Params:    Params{Scheme: "header", Headers: []string{"X-Documenso-Secret"}},
		EventType: Field{JSON: "event"},
		Setup:     "the secret set on the webhook",
		Docs:      "https://github.com/documenso/documenso/blob/main/apps/docs/content/docs/developers/webhooks/verification.mdx",
		Covers:    "nothing: the secret proves only that the sender knows it", Uncovered: "body, time"},
	standardWebhooksPreset("ahasend", Field{JSON: "type"},
		"the webhook's secret `whsec_…`",
		"https://ahasend.com/docs/api-reference/webhooks/security"),
	// Sent through Svix under the svix-* names. Goody's docs name no body
	// field for the event type, so none is assumed.
	svixPreset("goody", Field{},
		"the endpoint's signing secret `whsec_…`",
		"https://developer.ongoody.com/webhooks/webhook-security"),
	// Custom Webhook log streams send the configured Authorization Token
	// as the whole Authorization header ("Bearer …" if typed so). Content
	// Format JSON Array: one delivery, one hookq event.
	{Name: "auth0", Primitive: "shared-secret", Body: "json-array",
		Params:    Params{Scheme: "header", Headers: []string{"Authorization"}},
		EventType: Field{JSON: "0.data.type"},
		Setup:     "the log stream's Authorization Token, exactly as typed",
		Docs:      "https://auth0.com/docs/customize/log-streams/custom-log-streams",
		Covers:    "nothing: the token proves only that the sender knows it", Uncovered: "body, time"},
}
