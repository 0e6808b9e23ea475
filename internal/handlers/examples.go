package handlers

import "encoding/json"

// Example is one of the seed's demo events, shaped as the seed's provider
// sends it, with the data its handler needs.
type Example struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Data    map[string]any `json:"data"`
	Handler string         `json:"-"` // the Seed handler that processes it
}

// Body is the example as a webhook body.
func (e Example) Body() []byte {
	b, _ := json.Marshal(e) // a map of strings and numbers always marshals
	return b
}

// ExampleTypes are the event types of the examples, in the order a demo
// sends them.
var ExampleTypes = []string{"payment_success", "order_created", "enrollment_created", "user_registered"}

// NewExample returns the example of event type typ with event id id; suffix
// makes the business ids in its data (pay_<suffix>, ord_<suffix>…) unique.
// It reports false for a type that is not in ExampleTypes.
func NewExample(typ, id, suffix string) (Example, bool) {
	e := Example{ID: id, Type: typ}
	switch typ {
	case "payment_success": // 5000 PKR
		e.Handler, e.Data = "payment_success", map[string]any{"payment_id": "pay_" + suffix, "amount": 5000, "currency": "PKR", "user_id": "usr_42"}
	case "order_created": // over HighValueThreshold: flagged
		e.Handler, e.Data = "order_created", map[string]any{"order_id": "ord_" + suffix, "total": HighValueThreshold + 500, "currency": "PKR"}
	case "enrollment_created":
		e.Handler, e.Data = "enrollment", map[string]any{"enrollment_id": "enr_" + suffix, "course": "Go 101", "user_id": "usr_42"}
	case "user_registered":
		e.Handler, e.Data = "user_registered", map[string]any{"user_id": "usr_" + suffix, "email": "new.user@example.com"}
	default:
		return Example{}, false
	}
	return e, true
}

// Examples returns one example per type of ExampleTypes, for one demo run:
// event ids evt_pay_<run>, evt_ord_<run>… and business ids pay_<run>….
func Examples(run string) []Example {
	prefix := map[string]string{"payment_success": "evt_pay_", "order_created": "evt_ord_", "enrollment_created": "evt_enr_", "user_registered": "evt_usr_"}
	out := make([]Example, 0, len(ExampleTypes))
	for _, typ := range ExampleTypes {
		e, _ := NewExample(typ, prefix[typ]+run, run)
		out = append(out, e)
	}
	return out
}
