package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lenient is a config loaded without all its secrets, as an operator's
// shell often is: only a command that signs for a source needs that
// source's secrets.
type Lenient struct {
	*Config
	// Unset lists, per source, the ${VAR}s its verifier references that are
	// not set; such a source's verifier is a placeholder.
	Unset map[string][]string
}

// LoadLenient loads file as Load does, except that a source whose verifier
// references an unset variable gets a placeholder verifier (and is listed in
// Unset), and any other unset variable a placeholder value. So a tool that
// does not sign works without secrets, and one that signs can name exactly
// the variables its source needs (NeedSecrets). Every other rule of Load
// applies.
func LoadLenient(file string, getenv func(string) string) (*Lenient, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	lc := &Lenient{Unset: map[string][]string{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	missing := unsetVars(&doc, getenv)
	if len(missing) == 0 {
		if lc.Config, err = Parse(raw, getenv); err != nil {
			return nil, err
		}
		return lc, nil
	}
	if root := yamlValue(yamlRoot(&doc), "sources"); root != nil && root.Kind == yaml.SequenceNode {
		for _, src := range root.Content {
			v, name := yamlValue(src, "verifier"), yamlValue(src, "name")
			if v == nil || name == nil {
				continue
			}
			if vars := unsetVars(v, getenv); len(vars) > 0 {
				lc.Unset[name.Value] = vars
				*v = yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					yamlScalar("type"), yamlScalar("hmac"), yamlScalar("header"), yamlScalar("X-Hookq-Unset"),
					yamlScalar("secrets"), {Kind: yaml.SequenceNode, Content: []*yaml.Node{yamlScalar("unset")}},
				}}
			}
		}
	}
	patched, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	lc.Config, err = Parse(patched, func(k string) string {
		if slices.Contains(missing, k) {
			return "unset-" + k
		}
		return getenv(k)
	})
	if err != nil {
		return nil, err
	}
	return lc, nil
}

// NeedSecrets fails when source's verifier references unset variables,
// naming them.
func (lc *Lenient) NeedSecrets(source string) error {
	if vars := lc.Unset[source]; len(vars) > 0 {
		return fmt.Errorf("source %s: set %s to sign for it", source, "${"+strings.Join(vars, "}, ${")+"}")
	}
	return nil
}

// Source returns the configured source named name.
func (lc *Lenient) Source(name string) (*Source, bool) {
	for i := range lc.Sources {
		if lc.Sources[i].Name == name {
			return &lc.Sources[i], true
		}
	}
	return nil, false
}

// unsetVars lists the ${VAR}s under n that getenv leaves empty, once each.
func unsetVars(n *yaml.Node, getenv func(string) string) []string {
	var out []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			for _, m := range varRef.FindAllStringSubmatch(n.Value, -1) {
				if getenv(m[1]) == "" && !slices.Contains(out, m[1]) {
					out = append(out, m[1])
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

func yamlRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// yamlValue returns the value of key in mapping m, or nil.
func yamlValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func yamlScalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
