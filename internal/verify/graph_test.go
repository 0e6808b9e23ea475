package verify_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
	"github.com/hookq/hookq/internal/webhook"
)

var errMalformed = webhook.ErrMalformedPayload

// graphBody is a change notification as Microsoft Graph posts it, the
// representative body carried in its resourceData.
func graphBody(clientState *string, body []byte) []byte {
	n := map[string]any{"subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", "changeType": "created",
		"resource": "Users/8bc3a1a5/Messages/AAMkAGUw", "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
		"resourceData": map[string]any{"@odata.type": "#Microsoft.Graph.Message", "raw": string(body)}}
	if clientState != nil {
		n["clientState"] = *clientState
	}
	b, _ := json.Marshal(map[string]any{"value": []any{n}})
	return b
}

// graphCase is microsoft-graph's conformance case: the clientState is the
// secret, carried in the body, which it does not sign.
func graphCase() verifytest.Case {
	c := tokenCase("microsoft-graph", "Clientstate", [2]verify.Secret{"secretClientValue", "otherClientValue"}, "wrongClientValue",
		`{"id":"AAMkAGUw","subject":"hello"}`)
	c.Embed = func(h http.Header, body []byte) (http.Header, []byte) {
		if v, ok := h["Clientstate"]; ok && len(v) > 0 {
			return http.Header{}, graphBody(&v[0], body)
		}
		return http.Header{}, graphBody(nil, body)
	}
	return c
}

func TestGraphBodies(t *testing.T) {
	spec := verify.Spec{Type: "microsoft-graph", Secrets: []verify.Secret{"secretClientValue"}}
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		// Learn's example notification (change-notifications-delivery-webhooks, "Example of a change notification").
		"Documented":       {`{"value":[{"id":"lsgTZMr9KwAAA","subscriptionId":"{subscription_guid}","subscriptionExpirationDateTime":"2016-03-19T22:11:09.952Z","clientState":"secretClientValue","changeType":"created","resource":"users/{user_guid}@{tenant_guid}/messages/{long_id_string}","tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}","@odata.etag":"W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"","id":"{long_id_string}"}}]}`, nil},
		"TwoNotifications": {`{"value":[{"clientState":"secretClientValue"},{"clientState":"secretClientValue"}]}`, nil},
		"OneWrong":         {`{"value":[{"clientState":"secretClientValue"},{"clientState":"nope"}]}`, errInvalid},
		"OneMissing":       {`{"value":[{"clientState":"secretClientValue"},{}]}`, errMissing},
		"Empty":            {`{"value":[]}`, errMissing},
		"NotJSON":          {`clientState=secretClientValue`, errMissing},
		"StateNotString":   {`{"value":[{"clientState":1}]}`, errMissing},
	} {
		t.Run(name, func(t *testing.T) { mustVerify(t, spec, &verify.Request{Body: []byte(tc.body)}, tc.want) })
	}
}

func FuzzGraph(f *testing.F) { fuzzCase(f, graphCase()) }
