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
	// Twilio form posts carry MessageSid/CallSid as form fields, which a JSON
	// path cannot reach: one delivery is one event, identified by its body.
	"twilio": {New: newTwilio},
	"paddle": {New: newPaddle, EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "event_type"}},
	"square": {New: newSquare, EventID: Field{JSON: "event_id"}, EventType: Field{JSON: "type"}},
	// type is a number: 1 PING (a handshake), 2 APPLICATION_COMMAND, …
	"discord": {New: newDiscord, EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"}},
	// Idempotency-Key (recent GitLab) stays the same across retries of one
	// delivery, which is what dedupe needs; older GitLab sends only the UUID.
	"gitlab":  {New: newGitLab, EventID: Field{Header: "Idempotency-Key", Else: &Field{Header: "X-Gitlab-Event-UUID"}}, EventType: Field{Header: "X-Gitlab-Event"}},
	"mailgun": {New: newMailgun, EventID: Field{JSON: "event-data.id"}, EventType: Field{JSON: "event-data.event"}},
	"linear":  {New: newLinear, EventID: Field{Header: "Linear-Delivery"}, EventType: Field{Header: "Linear-Event"}},
	// Zoom bodies carry no event id; event_ts plus the object id is not unique.
	"zoom":     {New: newZoom, EventType: Field{JSON: "event"}},
	"intercom": {New: newIntercom, EventID: Field{JSON: "id"}, EventType: Field{JSON: "topic"}},
	// A SendGrid POST is a batch of events: one delivery, one hookq event.
	"sendgrid": {New: newSendGrid, EventType: Field{JSON: "0.event"}},
}
