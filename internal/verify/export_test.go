package verify

// SNSClient lets tests route aws-sns certificate fetches and subscription
// confirmations to a local TLS server; the host allow-list still applies.
var SNSClient = &snsClient
