package verify

import (
	"fmt"
	"net/url"
	"strings"
)

// publicURL is the URL a provider signs (Twilio, Square): the one set at the
// provider, held as text because the provider signs its exact spelling.
type publicURL struct {
	base  string // scheme://authority/path, without query or fragment
	alt   string // base with the port toggled: default port added, or an explicit port removed
	query string // the configured query, without "?"
}

func parsePublicURL(provider, raw string) (publicURL, error) {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return publicURL{}, fmt.Errorf("%s: url must be the absolute http(s) URL configured at the provider", provider)
	}
	s, _, _ := strings.Cut(raw, "#")
	base, query, _ := strings.Cut(s, "?")
	p := publicURL{base: base, query: query}

	// Toggle the port the way Twilio's SDKs do, since Twilio's signing is
	// inconsistent about it.
	rest := base[len(u.Scheme)+len("://"):]
	end := strings.IndexByte(rest, '/')
	if end < 0 {
		end = len(rest)
	}
	auth, path := rest[:end], rest[end:]
	userinfo, hostport := "", auth
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		userinfo, hostport = auth[:i+1], auth[i+1:]
	}
	if port := u.Port(); port != "" {
		hostport = strings.TrimSuffix(hostport, ":"+port)
	} else if u.Scheme == "https" {
		hostport += ":443"
	} else {
		hostport += ":80"
	}
	p.alt = base[:len(u.Scheme)+len("://")] + userinfo + hostport + path
	return p, nil
}

// effectiveQuery returns the query string that was signed: the request's own when it
// has one (Twilio adds bodySHA256 to it), else the configured one.
func (p publicURL) effectiveQuery(rawQuery string) string {
	if rawQuery != "" {
		return rawQuery
	}
	return p.query
}

// join returns base with the query appended.
func join(base, query string) []byte {
	if query == "" {
		return []byte(base)
	}
	return []byte(base + "?" + query)
}
