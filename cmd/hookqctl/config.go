package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookq/hookq/internal/config"
)

// loadedConfig is the config as hookqctl reads it: an operator's shell often
// lacks the provider secrets, and only a command that signs for a source
// needs that source's secrets.
type loadedConfig struct {
	*config.Config
	// unset lists, per source, the ${VAR}s its verifier references that
	// are not set; such a source's verifier is a placeholder.
	unset map[string][]string
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// loadConfig loads file like the processes do, except that a source whose
// verifier references an unset variable gets a placeholder verifier (and is
// listed in unset), and any other unset variable a placeholder value. So
// every command but a signing one works without secrets, and a signing one
// can name exactly the variables its source needs.
func loadConfig(file string, getenv func(string) string) (*loadedConfig, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	lc := &loadedConfig{unset: map[string][]string{}}
	unsetIn := func(n *yaml.Node) []string {
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
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	missing := unsetIn(&doc)
	if len(missing) == 0 {
		cfg, err := config.Parse(raw, getenv)
		if err != nil {
			return nil, err
		}
		lc.Config = cfg
		return lc, nil
	}
	if root := mapValue(docRoot(&doc), "sources"); root != nil && root.Kind == yaml.SequenceNode {
		for _, src := range root.Content {
			v := mapValue(src, "verifier")
			name := mapValue(src, "name")
			if v == nil || name == nil {
				continue
			}
			if vars := unsetIn(v); len(vars) > 0 {
				lc.unset[name.Value] = vars
				*v = yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					scalar("type"), scalar("hmac"), scalar("header"), scalar("X-Hookq-Unset"),
					scalar("secrets"), {Kind: yaml.SequenceNode, Content: []*yaml.Node{scalar("unset")}},
				}}
			}
		}
	}
	patched, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := config.Parse(patched, func(k string) string {
		if slices.Contains(missing, k) {
			return "unset-" + k
		}
		return getenv(k)
	})
	if err != nil {
		return nil, err
	}
	lc.Config = cfg
	return lc, nil
}

// needSecrets fails when source's verifier references unset variables.
func (lc *loadedConfig) needSecrets(source string) error {
	if vars := lc.unset[source]; len(vars) > 0 {
		return fmt.Errorf("source %s: set %s to sign for it", source, "${"+strings.Join(vars, "}, ${")+"}")
	}
	return nil
}

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
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

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
