package sign

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/hookq/hookq/internal/verify"
)

// Forged returns a secret of the same form as secret that is not secret,
// for a forged test delivery: it decodes as the type's secrets do (hex,
// base64, whsec_…, user:password), so the delivery is well formed and only
// its signature is wrong.
func Forged(typ, secret string) string {
	p, _ := verify.Find(typ)
	switch {
	case strings.HasPrefix(secret, "whsec_"):
		if b, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):]); err == nil && len(b) > 0 {
			b[0] ^= 0xff
			return "whsec_" + base64.StdEncoding.EncodeToString(b)
		}
		return "whsec_Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0LWZvcmdlZA=="
	case p.Params.SecretEncoding == "hex":
		if b, err := hex.DecodeString(secret); err == nil && len(b) > 0 {
			b[0] ^= 0xff
			return hex.EncodeToString(b)
		}
		return "666f72676564" // "forged"
	case p.Params.SecretEncoding == "base64":
		if b, err := base64.StdEncoding.DecodeString(secret); err == nil && len(b) > 0 {
			b[0] ^= 0xff
			return base64.StdEncoding.EncodeToString(b)
		}
		return "Zm9yZ2Vk" // "forged"
	case p.Params.Scheme == "basic":
		user, pass, _ := strings.Cut(secret, ":")
		return user + ":forged-" + pass
	}
	return "forged-" + secret
}
