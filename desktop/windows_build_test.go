package desktop_test

import (
	"os"
	"os/exec"
	"testing"
)

// TestBuildsForWindows: the Desktop ships as a Windows binary; its Windows-only code
// (window search, PostMessage/SendInput, DPAPI, file identity) must at least compile.
func TestBuildsForWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./...")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build ./...: %v\n%s", err, out)
	}
}
