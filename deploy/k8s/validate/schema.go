package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"sigs.k8s.io/yaml"
)

// Schema is the part of an OpenAPI v3 schema (as in a CRD's
// openAPIV3Schema) that structural checks need.
type Schema struct {
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Properties           map[string]*Schema `json:"properties"`
	AdditionalProperties *Schema            `json:"additionalProperties"`
	Items                *Schema            `json:"items"`
	Required             []string           `json:"required"`
	Enum                 []any              `json:"enum"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields"`
}

// UnmarshalJSON accepts additionalProperties: true/false as well as a schema.
func (s *Schema) UnmarshalJSON(b []byte) error {
	if string(b) == "true" || string(b) == "false" {
		*s = Schema{PreserveUnknown: string(b) == "true"}
		return nil
	}
	type plain Schema
	return json.Unmarshal(b, (*plain)(s))
}

// CRDSchemas reads a CustomResourceDefinition file: kind/version → schema.
func CRDSchemas(file string) (map[string]*Schema, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var crd struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema *Schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string]*Schema{}
	for _, v := range crd.Spec.Versions {
		out[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
	}
	return out, nil
}

// Check validates v (decoded JSON) against s the way the API server's
// structural pruning and type checks would: unknown fields are errors, not
// dropped. CEL rules (x-kubernetes-validations) are not evaluated.
func (s *Schema) Check(path string, v any) []string {
	if s == nil || v == nil {
		return nil
	}
	if s.IntOrString {
		switch x := v.(type) {
		case string:
			return nil
		case float64:
			if x == math.Trunc(x) {
				return nil
			}
		}
		return []string{path + ": want an integer or a string"}
	}
	var errs []string
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{path + ": want an object"}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch p := s.Properties[k]; {
			case p != nil:
				errs = append(errs, p.Check(path+"."+k, m[k])...)
			case s.AdditionalProperties != nil:
				errs = append(errs, s.AdditionalProperties.Check(path+"."+k, m[k])...)
			case !s.PreserveUnknown:
				errs = append(errs, fmt.Sprintf("%s: unknown field %q", path, k))
			}
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: %q is required", path, r))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return []string{path + ": want an array"}
		}
		for i, x := range a {
			errs = append(errs, s.Items.Check(fmt.Sprintf("%s[%d]", path, i), x)...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			return []string{path + ": want a string"}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{path + ": want true or false"}
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return []string{path + ": want an integer"}
		}
		if s.Format == "int32" && (f < math.MinInt32 || f > math.MaxInt32) {
			return []string{path + ": out of int32 range"}
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return []string{path + ": want a number"}
		}
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if e == v {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", path, v, s.Enum))
		}
	}
	return errs
}
