//go:build hookqconfig

package main

import "github.com/hookq/hookq/internal/config"

// validateWithConfigPackage loads the file with the real loader, every
// referenced variable set to a placeholder.
var validateWithConfigPackage = func(file string, vars []string) error {
	env := map[string]string{}
	for _, v := range vars {
		env[v] = "placeholder-" + v
	}
	_, err := config.Load(file, func(k string) string { return env[k] })
	return err
}
