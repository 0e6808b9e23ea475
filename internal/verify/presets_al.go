package verify

// catalogueAL holds the new presets whose names start with a to l; presets.go holds the first ones.
var catalogueAL = []Preset{}
