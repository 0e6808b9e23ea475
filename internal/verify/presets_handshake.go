package verify

// catalogueHandshakes holds the presets whose providers perform a
// subscription handshake (GET challenges, CRC, unsigned POST probes, SNS
// confirmation); presets.go holds the first ones. Their known answers are
// in presets_handshake_test.go.
var catalogueHandshakes = []Preset{
	// Facebook, Instagram and Messenger webhooks. No event id in the body
	// (entry ids name the page or account): one delivery is one event.
	metaWebhooks("meta",
		"secret = the app secret; `verify_token` = the Verify Token set in the App Dashboard (without it the GET is refused)",
		"https://developers.facebook.com/docs/graph-api/webhooks/getting-started"),
	// Status updates of one message share its id: no per-delivery id.
	metaWebhooks("whatsapp",
		"secret = the Meta app secret; `verify_token` = the Verify Token set for the webhook",
		"https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks"),
	// Account Activity events are keyed by kind (tweet_create_events, …):
	// no single type field.
	{Name: "twitter", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Twitter-Webhooks-Signature"}, Prefix: "sha256=", Encoding: "base64", Challenge: "crc"},
		Handshake: "CRC `crc_token` (GET, answered with the consumer secret)",
		Setup:     "secret = the app's consumer secret (API secret key)",
		Docs:      "https://docs.x.com/x-api/webhooks/introduction",
		Covers:    "body", Uncovered: "time"},
	// A notification names accounts with changes, never the changes: it
	// carries no id or type.
	{Name: "dropbox", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Dropbox-Signature"}, Challenge: "dropbox"},
		Handshake: "`challenge` (GET, echoed)",
		Setup:     "secret = the app secret",
		Docs:      "https://www.dropbox.com/developers/reference/webhooks",
		Covers:    "body", Uncovered: "time"},
	{Name: "asana", Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Hook-Signature"}, Probe: "asana"},
		EventType: Field{JSON: "events.0.action"},
		Handshake: "X-Hook-Secret (first POST, unsigned, echoed)",
		Setup:     "start with a placeholder secret; hookq echoes X-Hook-Secret when the webhook is created but neither stores nor logs it: capture it on its way in and set it as the secret",
		Docs:      "https://developers.asana.com/docs/webhooks-guide",
		Covers:    "body", Uncovered: "time"},
	{Name: "microsoft-graph", Primitive: "graph", Body: "json",
		Params:    Params{Probe: "graph"},
		EventType: Field{JSON: "value.0.changeType"},
		Handshake: "validationToken (POST query, unsigned, echoed)",
		Signature: "each notification's `clientState` (equality)", Window: "none",
		Setup:  "secret = the clientState set when creating the subscription",
		Docs:   "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
		Covers: "nothing: clientState proves only that the sender knows it", Uncovered: "body, time"},
	{Name: "aws-sns", Primitive: "sns", Body: "json",
		EventID: Field{JSON: "MessageId"}, EventType: Field{JSON: "Type"},
		Handshake: "SubscriptionConfirmation (POST, signed; SubscribeURL called)",
		Signature: "body `Signature` (RSA, SignatureVersion 1 SHA-1 / 2 SHA-256) with the certificate at `SigningCertURL` (https, host `sns.<region>.amazonaws.com`, cached)",
		Window:    "none (set `tolerance` to check `Timestamp`)",
		Setup:     "secrets = the topic ARNs this source accepts (a signature proves SNS sent it, not whose topic); raw message delivery off",
		Docs:      "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
		Covers:    "message, subject, id, timestamp, topic", Uncovered: "HTTP headers; time unless tolerance is set"},
	// Verified offline, as PayPal documents, rather than by calling its
	// verify-webhook-signature API: no credentials, no round trip.
	{Name: "paypal", Primitive: "paypal", Body: "json",
		EventID: Field{JSON: "id"}, EventType: Field{JSON: "event_type"},
		Signature: "`PAYPAL-TRANSMISSION-SIG` (RSA SHA-256 over transmission id, time, webhook id and the body's CRC32) with the certificate at `PAYPAL-CERT-URL` (https, host `api.paypal.com` or `api.sandbox.paypal.com`, cached)",
		Window:    "none (set `tolerance` to check `PAYPAL-TRANSMISSION-TIME`)",
		Setup:     "secrets = the webhook IDs this source accepts (from the app's webhook settings)",
		Docs:      "https://developer.paypal.com/api/rest/webhooks/rest/#link-selfverificationmethod",
		Covers:    "body (CRC32), transmission id and time, webhook id", Uncovered: "time unless tolerance is set; the body only through CRC32 (each transmission id is bound to its first body in Redis for 72h or 2 × tolerance: another body with it is refused)"},
}

// metaWebhooks is a product delivering through Meta's webhooks, which sign
// and subscribe alike whatever the product: the app secret signs the body
// (X-Hub-Signature-256) and a GET hub.challenge carrying the verify token
// subscribes the endpoint. Only the setup words and docs differ.
func metaWebhooks(name, setup, docs string) Preset {
	return Preset{Name: name, Primitive: "hmac-body", Body: "json",
		Params:    Params{Headers: []string{"X-Hub-Signature-256"}, Prefix: "sha256=", Challenge: "hub"},
		EventType: Field{JSON: "entry.0.changes.0.field", Else: &Field{JSON: "object"}},
		Handshake: "hub.challenge (GET, verify token)",
		Setup:     setup,
		Docs:      docs,
		Covers:    "body", Uncovered: "time"}
}
