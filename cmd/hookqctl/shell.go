package main

import "strings"

// commandLine renders a hookqctl command for an operator to paste: words are
// shell-quoted and ids come after "--", so a provider-chosen id can neither
// run a command in the operator's shell nor be read as a flag.
func commandLine(words []string, ids ...string) string {
	parts := append([]string{"hookqctl"}, words...)
	if len(ids) > 0 {
		parts = append(parts, "--")
	}
	for _, id := range ids {
		parts = append(parts, shellQuote(id))
	}
	return strings.Join(parts, " ")
}

// shellQuote returns s as one POSIX shell word: left bare when it holds only
// characters no shell interprets, else single-quoted, each single quote
// inside closed, escaped and reopened.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:/@%+=-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
