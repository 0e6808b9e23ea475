package webhook

// envelopeDictID names envelopeDict inside every frame compressed with it.
// The dictionary is part of the stored format: never edit it; a better one
// gets a new id and Decode keeps knowing this one. 0x686b7131 is "hkq1",
// inside the range zstd leaves to private use (2^15 to 2^31).
const envelopeDictID = 0x686b7131

// envelopeDict primes zstd with what every envelope and most provider
// bodies contain, so a 1 KB event does not pay for spelling its keys out
// once: the envelope's own keys, then field names and values common to the
// providers hookq verifies (Stripe, GitHub, Shopify, Slack, Paddle, Square,
// Mailgun, Linear, Zoom, Intercom, SendGrid, Standard Webhooks).
const envelopeDict = `{"source":"","event_id":"","event_type":"","received_at":"2026-01-01T00:00:00.000000000Z","verified_by":"hmac","content_type":"application/json; charset=utf-8","headers":{"X-Request-Id":""},"body_b64":"","body":` +
	`{"id":"evt_","object":"event","api_version":"","created":1700000000,"type":"","livemode":false,"pending_webhooks":1,"request":{"id":"req_","idempotency_key":""},"previous_attributes":null,` +
	`"data":{"object":{"id":"","object":"","amount":0,"amount_received":0,"currency":"usd","customer":"cus_","description":"","metadata":{},"status":"succeeded","payment_method":"pm_","payment_method_types":["card"],"latest_charge":"ch_","receipt_email":"","invoice":"in_","subscription":"sub_","price":"price_","quantity":1,"livemode":false,"shipping":{"address":{"city":"","country":"","line1":"","line2":null,"postal_code":"","state":""},"name":""}}},` +
	`"action":"","repository":{"id":0,"node_id":"","name":"","full_name":"","private":false,"owner":{"login":"","id":0,"type":"User"},"html_url":"https://github.com/","default_branch":"main"},"sender":{"login":"","id":0},"installation":{"id":0},` +
	`"admin_graphql_api_id":"gid://shopify/","line_items":[],"total_price":"","financial_status":"paid","email":"","phone":null,"created_at":"","updated_at":"","customer":{"first_name":"","last_name":""},` +
	`"event_id":"","event_type":"","occurred_at":"","notification_id":"","team_id":"","api_app_id":"","event":{"type":"","user":"","channel":"","ts":""},"event_time":0,` +
	`"merchant_id":"","payload":{"account_id":"","object":{}},"webhookTimestamp":0,"organizationId":"","url":"https://","timestamp":"","sg_event_id":"","sg_message_id":"","topic":"","app_id":"","null":null,"true":true}}`
