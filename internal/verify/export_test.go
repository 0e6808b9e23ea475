package verify

// SNSClient lets tests route certificate fetches (aws-sns, paypal) and subscription
// confirmations to a local TLS server; the host allow-list still applies.
var SNSClient = &certClient
