package webhook

// MatchType reports whether s matches the glob pattern, where * matches any
// run of characters (including / and .) and ? any one byte; every other
// byte is literal. Event types such as Shopify's "orders/create" make
// path.Match's rules the wrong ones. Routes and hookqctl filters both use it.
func MatchType(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
