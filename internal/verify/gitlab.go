package verify

import (
	"crypto/sha256"
	"crypto/subtle"
)

// gitlab verifies X-Gitlab-Token, the secret token set on the hook, sent as
// is. Nothing covers the body, so this proves only that the sender knows the
// token. Several tokens may be configured. Both sides are hashed before the
// constant-time comparison so that not even the token's length leaks.
type gitlab struct{ sums [][sha256.Size]byte }

func newGitLab(s Spec) (Verifier, error) {
	v := &gitlab{}
	for _, t := range s.Secrets {
		v.sums = append(v.sums, sha256.Sum256([]byte(t)))
	}
	return v, nil
}

func (v *gitlab) Verify(r *Request) error {
	h := r.Header.Get("X-Gitlab-Token")
	if h == "" {
		return missing("gitlab", "no X-Gitlab-Token header")
	}
	got := sha256.Sum256([]byte(h))
	ok := 0
	for i := range v.sums {
		ok |= subtle.ConstantTimeCompare(got[:], v.sums[i][:])
	}
	if ok != 1 {
		return invalid("gitlab", "token does not match")
	}
	return nil
}
