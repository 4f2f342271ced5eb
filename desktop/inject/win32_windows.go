//go:build windows

package inject

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Win32 side of winpolicy.go: listing windows with their class, process and its
// integrity level, the keyboard state and the foreground window.

var (
	procGetAsyncKeyState = user32.NewProc("GetAsyncKeyState")
	procGetWindowTextW   = user32.NewProc("GetWindowTextW")

	listOnce sync.Once
	listCB   uintptr // one callback for the process: Windows callbacks are never freed
	listMu   sync.Mutex
	listEach func(windows.HWND)
)

// listWindows returns every top-level window with its class, title, process, the
// process's executable and integrity level.
// EnumWindows: https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-enumwindows
// GetClassNameW: https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-getclassnamew
func listWindows() []GameWindow {
	listMu.Lock()
	defer listMu.Unlock()
	listOnce.Do(func() {
		listCB = windows.NewCallback(func(hwnd windows.HWND, _ uintptr) uintptr {
			listEach(hwnd)
			return 1
		})
	})
	var out []GameWindow
	procs := map[uint32]GameWindow{}
	listEach = func(hwnd windows.HWND) {
		var pid uint32
		if _, err := windows.GetWindowThreadProcessId(hwnd, &pid); err != nil || pid == 0 {
			return
		}
		p, ok := procs[pid]
		if !ok {
			p = GameWindow{PID: pid}
			p.Image, p.Integrity = processInfo(pid)
			procs[pid] = p
		}
		w := p
		w.HWND = uintptr(hwnd)
		w.Visible = windows.IsWindowVisible(hwnd)
		buf := make([]uint16, 256)
		if n, err := windows.GetClassName(hwnd, &buf[0], int32(len(buf))); err == nil {
			w.Class = windows.UTF16ToString(buf[:n])
		}
		if n, _, _ := procGetWindowTextW.Call(uintptr(hwnd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf))); n > 0 {
			w.Title = windows.UTF16ToString(buf[:n])
		}
		out = append(out, w)
	}
	_ = windows.EnumWindows(listCB, nil)
	return out
}

// processInfo is a process's executable path and integrity level. A token that cannot
// be opened for a same-user process means it runs elevated (its token's DACL admits only
// elevated administrators): that is reported as High. QueryFullProcessImageNameW with
// PROCESS_QUERY_LIMITED_INFORMATION works across integrity levels:
// https://learn.microsoft.com/en-us/windows/win32/procthread/process-security-and-access-rights
func processInfo(pid uint32) (string, IntegrityLevel) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			return "", IntegrityHigh
		}
		return "", IntegrityUnknown
	}
	defer windows.CloseHandle(h)
	image := ""
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err == nil {
		image = windows.UTF16ToString(buf[:n])
	}
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			return image, IntegrityHigh
		}
		return image, IntegrityUnknown
	}
	defer tok.Close()
	return image, tokenIntegrity(tok)
}

// tokenIntegrity reads TokenIntegrityLevel: a TOKEN_MANDATORY_LABEL whose SID's last
// sub-authority is the level.
// https://learn.microsoft.com/en-us/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation
// https://learn.microsoft.com/en-us/windows/win32/api/winnt/ns-winnt-token_mandatory_label
func tokenIntegrity(tok windows.Token) IntegrityLevel {
	var n uint32
	_ = windows.GetTokenInformation(tok, windows.TokenIntegrityLevel, nil, 0, &n)
	if n == 0 {
		return IntegrityUnknown
	}
	buf := make([]byte, n)
	if err := windows.GetTokenInformation(tok, windows.TokenIntegrityLevel, &buf[0], n, &n); err != nil {
		return IntegrityUnknown
	}
	label := (*windows.Tokenmandatorylabel)(unsafe.Pointer(&buf[0]))
	sid := label.Label.Sid
	if sid == nil || sid.SubAuthorityCount() == 0 {
		return IntegrityUnknown
	}
	return IntegrityLevel(sid.SubAuthority(uint32(sid.SubAuthorityCount()) - 1))
}

// selfIntegrity is the Desktop's own level.
func selfIntegrity() IntegrityLevel {
	return tokenIntegrity(windows.GetCurrentProcessToken())
}

// realWin32 is the Win32 of the SendInput fallback.
type realWin32 struct{}

func (realWin32) Foreground() uintptr { return uintptr(windows.GetForegroundWindow()) }

// SetForeground: SetForegroundWindow may refuse (the foreground lock rules of
// https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-setforegroundwindow),
// so the result is checked by reading the foreground window back.
func (realWin32) SetForeground(hwnd uintptr) bool {
	if iconic, _, _ := procIsIconic.Call(hwnd); iconic != 0 {
		procShowWindow.Call(hwnd, swRestore)
	}
	procSetForegroundWnd.Call(hwnd)
	time.Sleep(30 * time.Millisecond)
	return uintptr(windows.GetForegroundWindow()) == hwnd
}

// KeyDown: the most significant bit of GetAsyncKeyState's result is set while the key is
// down. https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-getasynckeystate
func (realWin32) KeyDown(vk uint16) bool {
	r, _, _ := procGetAsyncKeyState.Call(uintptr(vk))
	return r&0x8000 != 0
}

func (realWin32) Sleep(d time.Duration) { time.Sleep(d) }

// GameImage is the path of the game's executable (Locator): its folder holds the log.
func (w *Windows) GameImage(context.Context) (string, error) {
	_, pid, err := w.find()
	if err != nil {
		return "", err
	}
	image, _ := processInfo(pid)
	if image == "" {
		return "", errors.New("the game's executable path cannot be read")
	}
	return image, nil
}

// chosenClient is the process the streamer chose when several game clients run (0: none);
// it outlives a change of injector (strategy or process name).
var chosenClient atomic.Uint32

// Clients lists the game's windows (Chooser).
func (w *Windows) Clients(context.Context) ([]GameWindow, error) {
	return GameWindows(listWindows(), w.ProcessName), nil
}

// Choose makes the client of process pid the one typed into (Chooser).
func (w *Windows) Choose(pid uint32) { chosenClient.Store(pid) }
