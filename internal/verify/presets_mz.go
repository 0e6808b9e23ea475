package verify

// catalogueMZ holds the new presets whose names start with m to z; presets.go holds the first ones.
var catalogueMZ = []Preset{}
