package verify

// catalogueHandshakes holds the presets whose providers perform a subscription handshake (GET challenges, SNS confirmation, CRC); presets.go holds the first ones.
var catalogueHandshakes = []Preset{}
