package verify

// kinds lists every verifier type with its default event id and type
// locations. It is the one place a new provider is registered.
var kinds = map[string]Kind{
	"hmac":   {New: newHMAC},
	"stripe": {New: newStripe, EventID: Field{JSON: "id"}, EventType: Field{JSON: "type"}},
	"github": {New: newGitHub, EventID: Field{Header: "X-GitHub-Delivery"}, EventType: Field{Header: "X-GitHub-Event"}},
}
