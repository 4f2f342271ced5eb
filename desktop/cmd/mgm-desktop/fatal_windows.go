//go:build windows

package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// fatal reports an error the program stops on. A GUI program has no console, so the
// streamer sees it in a message box (MB_ICONERROR):
// https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-messageboxw
func fatal(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	text, _ := windows.UTF16PtrFromString(msg)
	title, _ := windows.UTF16PtrFromString("Mimiron's Gold-o-Matic Desktop")
	_, _ = windows.MessageBox(0, text, title, windows.MB_OK|windows.MB_ICONERROR)
}
