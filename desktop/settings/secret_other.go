//go:build !windows

package settings

// keyFile holds the API key; on this platform it is protected by its 0600 mode only.
const keyFile = "apikey"

// bridgeFile holds the bridge's pairing key, protected the same way.
const bridgeFile = "bridge"

func seal(b []byte) ([]byte, error)   { return b, nil }
func unseal(b []byte) ([]byte, error) { return b, nil }
