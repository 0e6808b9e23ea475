package verify_test

import (
	"testing"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/verify/verifytest"
)

func gitlabCase() verifytest.Case {
	return tokenCase("gitlab", "X-Gitlab-Token", [2]verify.Secret{"glsecret-first-token", "glsecret-second"}, "glsecret-wrong-token",
		`{"object_kind":"push","event_name":"push","ref":"refs/heads/main","checkout_sha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","project_id":15}`)
}

func TestGitLabTokenIsExact(t *testing.T) {
	spec := verify.Spec{Type: "gitlab", Secrets: []verify.Secret{"Token"}}
	for _, bad := range []string{"token", "Token ", " Token", "Tok", "TokenToken"} {
		mustVerify(t, spec, &verify.Request{Header: hdr("X-Gitlab-Token", bad)}, errInvalid)
	}
}
