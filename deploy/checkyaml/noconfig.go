//go:build !hookqconfig

package main

// validateWithConfigPackage is set when built with -tags hookqconfig, so the
// default build does not depend on internal/config compiling.
var validateWithConfigPackage func(file string, vars []string) error
