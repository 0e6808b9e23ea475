package verify

// kinds lists every verifier type with its default event id and type
// locations. It is the one place a new provider is registered.
//
// A zero EventID means the id is "sha256:" + hex SHA-256 of the raw body.
// Where a provider has two candidate locations and Field holds one, the
// comment names the one not taken.
var kinds = map[string]Kind{
	"hmac":   {New: newHMAC},
	"stripe": {New: newStripe, EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"}},
	"github": {New: newGitHub, EventID: Field{Header: "X-GitHub-Delivery"}, EventType: Field{Header: "X-GitHub-Event"}},

	"standardwebhooks": {New: newStandardWebhooks, EventID: Field{Header: "webhook-id"}, EventType: Field{JSON: "type"}},
	"svix":             {New: newSvix, EventID: Field{Header: "svix-id"}, EventType: Field{JSON: "type"}},
	// Newer event deliveries carry X-Shopify-Event-Id instead.
	"shopify": {New: newShopify, EventID: Field{Header: "X-Shopify-Webhook-Id", Else: &Field{Header: "X-Shopify-Event-Id"}}, EventType: Field{Header: "X-Shopify-Topic"}},
	// Envelopes without an inner event (app_rate_limited) have a body "type";
	// the url_verification handshake is answered before extraction.
	"slack": {New: newSlack, EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event.type", Else: &Field{JSON: "type"}}},
	// Twilio posts forms by default (JSON posts: body_format json). With no
	// id configured, the id hashes the canonical form of the parameters, as
	// Twilio signs them: a status callback shares its MessageSid with the
	// message's other callbacks, so the SID alone would dedupe them away.
	"twilio": {New: newTwilio, BodyFormat: FormatForm},
	"paddle": {New: newPaddle, EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event_type"}},
	"square": {New: newSquare, EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "type"}},
	// type is a number: 1 PING (a handshake), 2 APPLICATION_COMMAND, …
	"discord": {New: newDiscord, EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"}},
	// Idempotency-Key (recent GitLab) stays the same across retries of one
	// delivery, which is what dedupe needs; older GitLab sends only the UUID.
	"gitlab": {New: newGitLab, EventID: Field{Header: "Idempotency-Key", Else: &Field{Header: "X-Gitlab-Event-UUID"}}, EventType: Field{Header: "X-Gitlab-Event"}},
	// Legacy form posts (body_format form) carry no event id: the canonical
	// form of the whole post is the id.
	"mailgun": {New: newMailgun, EventID: Field{JSON: "event-data.id"}, EventType: Field{JSON: "event-data.event"},
		FormEventType: Field{JSON: "event"}},
	"linear": {New: newLinear, EventID: Field{Header: "Linear-Delivery"}, EventType: Field{Header: "Linear-Event"}},
	// Zoom bodies carry no event id; event_ts plus the object id is not unique.
	"zoom":     {New: newZoom, EventType: Field{JSON: "event"}},
	"intercom": {New: newIntercom, EventID: Field{JSON: "id"}, EventType: Field{JSON: "topic"}},
	// A SendGrid POST is a batch of events: one delivery, one hookq event.
	"sendgrid": {New: newSendGrid, EventType: Field{JSON: "0.event"}},
}

// signatureHeaders lists, per type, the headers of which a genuine delivery
// carries at least one. Mailgun signs inside the body and has none.
var signatureHeaders = map[string][]string{
	"stripe":           {"Stripe-Signature"},
	"github":           {"X-Hub-Signature-256"},
	"standardwebhooks": {"webhook-signature"},
	"svix":             {"svix-signature"},
	"shopify":          {"X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"},
	"slack":            {"X-Slack-Signature"},
	"twilio":           {"X-Twilio-Signature"},
	"paddle":           {"Paddle-Signature"},
	"square":           {"X-Square-Hmacsha256-Signature"},
	"discord":          {"X-Signature-Ed25519"},
	"gitlab":           {"X-Gitlab-Token"},
	"linear":           {"Linear-Signature"},
	"zoom":             {"x-zm-signature"},
	"intercom":         {"X-Hub-Signature"},
	"sendgrid":         {"X-Twilio-Email-Event-Webhook-Signature"},
}

// SignatureHeaders returns the headers of which a delivery for spec must
// carry one before its body is worth reading; empty when the signature is
// in the body.
func SignatureHeaders(spec Spec) []string {
	if spec.Type == "hmac" {
		return []string{spec.Header}
	}
	return signatureHeaders[spec.Type]
}
