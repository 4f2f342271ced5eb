//go:build !windows

package logtail

import (
	"fmt"
	"os"
	"syscall"
)

func sysID(f *os.File) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", nil
	}
	return fmt.Sprintf("%d:%d", uint64(st.Dev), uint64(st.Ino)), nil
}

func openShared(path string) (*os.File, error) { return os.Open(path) }
