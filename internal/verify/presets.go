package verify

import (
	"bytes"
	_ "embed" // presets.yaml
	"fmt"

	"go.yaml.in/yaml/v3"
)

// presetsYAML is the catalogue as data: every provider hookq verifies by
// name, each an entry over a primitive, with a comment beside it where its
// values need a reason. Its header says how to read it.
//
//go:embed presets.yaml
var presetsYAML []byte

// catalogue is every provider hookq verifies by name, in the order of
// presets.yaml. A bad file fails every binary at start-up, and every test.
var catalogue = func() []Preset {
	all, err := decodeCatalogue(presetsYAML)
	if err != nil {
		panic(err)
	}
	return all
}()

// decodeCatalogue reads a catalogue strictly: a key that names no field of
// Preset, Params or Field is an error, so a misspelt parameter cannot leave
// a provider silently on a default.
func decodeCatalogue(b []byte) ([]Preset, error) {
	var doc struct {
		// Templates hold the fixed part of providers sharing a scheme; the
		// entries take them by YAML merge (<<: *name).
		Templates map[string]Preset `yaml:"templates"`
		Presets   []Preset          `yaml:"presets"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("verify: presets.yaml: %w", err)
	}
	return doc.Presets, nil
}
