//go:build !windows

package inject

// NewPlatform is the injector for this platform. Only Windows runs the real client; on
// other systems there is nothing to type into (tests and the demo use Headless).
func NewPlatform(processName, strategy string) Injector {
	return None{Reason: "typing into the game is only supported on Windows"}
}
