package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
)

// graph checks Microsoft Graph change notifications: every notification in
// the body's "value" array carries the clientState set when the
// subscription was created, which must equal a configured secret. Nothing
// is signed: like a shared token, it proves only that the sender knows it.
type graph struct {
	sums [][sha256.Size]byte
}

func newGraph(s Spec) (Verifier, error) {
	v := &graph{}
	for _, sec := range s.Secrets {
		v.sums = append(v.sums, sha256.Sum256([]byte(sec)))
	}
	return v, nil
}

func (v *graph) Verify(r *Request) error {
	var b struct {
		Value []struct {
			ClientState *string `json:"clientState"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil || len(b.Value) == 0 {
		return missing("microsoft-graph", "no notifications in the body's value array")
	}
	for _, n := range b.Value {
		if n.ClientState == nil || *n.ClientState == "" {
			return missing("microsoft-graph", "a notification without clientState")
		}
		got, ok := sha256.Sum256([]byte(*n.ClientState)), 0
		for _, want := range v.sums {
			ok |= subtle.ConstantTimeCompare(got[:], want[:])
		}
		if ok != 1 {
			return invalid("microsoft-graph", "clientState does not match")
		}
	}
	return nil
}
