package webhook

import "testing"

func TestMatchType(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "orders/create", true}, {"payment_intent.*", "payment_intent.succeeded", true},
		{"payment_intent.*", "charge.refunded", false}, {"charge.refunded", "charge.refunded", true},
		{"charge.refunded", "charge.refunded.x", false}, {"orders/*", "orders/create", true}, {"a?c", "abc", true},
		{"a?c", "ac", false}, {"*.*.*", "a.b.c", true}, {"*x", "abc", false}, {"", "", true}, {"", "a", false},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}, {"[ab]", "a", false}, {"[ab]", "[ab]", true},
	} {
		if got := MatchType(c.pattern, c.s); got != c.want {
			t.Errorf("MatchType(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
