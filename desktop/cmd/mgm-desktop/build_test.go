package main

import (
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The release build (scripts/build-desktop.sh) is a Windows GUI program — no console
// window — with the version resource and icon embedded, and an Authenticode signature
// (a throwaway certificate here; the script verifies it with osslsigncode).
func TestReleaseBuild_IsASignedGUIProgramWithResources(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds the Windows release")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "..", "..", "scripts", "build-desktop.sh"), out)
	cmd.Env = append(os.Environ(), "MGM_SIGN_PFX=")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.Contains(t, string(b), "signed with a throwaway certificate and verified")

	f, err := pe.Open(filepath.Join(out, "mgm-desktop.exe"))
	require.NoError(t, err)
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	require.True(t, ok, "a 64-bit executable")
	// IMAGE_SUBSYSTEM_WINDOWS_GUI: https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#windows-subsystem
	assert.EqualValues(t, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI, oh.Subsystem, "no console window")
	rsrc := f.Section(".rsrc")
	require.NotNil(t, rsrc, "resources (version, icon, manifest) embedded")
	data, err := rsrc.Data()
	require.NoError(t, err)
	assert.Contains(t, string(data), "asInvoker", "the manifest asks for no elevation")
	assert.Contains(t, string(data), string(utf16le("Mimiron's Gold-o-Matic Desktop")), "the version resource's FileDescription")
	// The certificate table (data directory 4) holds the Authenticode signature:
	// https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#the-attribute-certificate-table-image-only
	sec := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY]
	assert.NotZero(t, sec.Size, "signed")
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}
