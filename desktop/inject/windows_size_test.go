//go:build windows

package inject

import (
	"testing"
	"unsafe"
)

func TestInputStructMatchesWin32Size(t *testing.T) {
	want := uintptr(40) // sizeof(INPUT) on 64-bit Windows
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 28
	}
	if got := unsafe.Sizeof(input{}); got != want {
		t.Fatalf("sizeof(input) = %d, want %d", got, want)
	}
}
