// Package validate checks hookq's Kubernetes manifests (deploy/k8s) offline,
// in its own module so the Kubernetes API types never reach hookq's
// binaries. Its tests decode every object strictly into the official types
// (k8s.io/api; KEDA's objects against the schema of KEDA's own CRDs in
// testdata), then check what the API server would not: cross-references,
// probes against hookq's real admin routes, the config through hookq's real
// loader, and the termination grace against the configured shutdown bound.
//
//	cd deploy/k8s/validate && go test ./...
//
// go.work joins hookq's own module, so the checks use hookq's code and its
// dependency versions as they are, with nothing to update here when they change.
package validate
