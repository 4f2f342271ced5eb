package inject

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The decisions of the Windows injector, kept apart from the Win32 calls (windows.go,
// win32_windows.go) so they run and are tested on any platform: which window is the
// game, whether the Desktop can reach it at all, and how the SendInput fallback may
// behave. Win32 is the little of the system they need.

// IntegrityLevel is a process's mandatory integrity level: the RID of its token's
// integrity SID (S-1-16-<RID>). https://learn.microsoft.com/en-us/windows/win32/secauthz/mandatory-integrity-control
// and the well-known SIDs at https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids
// (Medium 0x2000 for a normal user's programs, High 0x3000 for "Run as administrator").
type IntegrityLevel uint32

// The levels the Desktop meets.
const (
	IntegrityUnknown IntegrityLevel = 0
	IntegrityLow     IntegrityLevel = 0x1000
	IntegrityMedium  IntegrityLevel = 0x2000
	IntegrityHigh    IntegrityLevel = 0x3000
	IntegritySystem  IntegrityLevel = 0x4000
)

func (l IntegrityLevel) String() string {
	switch {
	case l == IntegrityUnknown:
		return "unknown"
	case l >= IntegritySystem:
		return "system"
	case l >= IntegrityHigh:
		return "high (administrator)"
	case l >= IntegrityMedium:
		return "medium"
	}
	return "low"
}

// GameWindow is a top-level window that may be the game's.
type GameWindow struct {
	HWND      uintptr
	PID       uint32
	Class     string // window class: the 3.3.5a client's is "GxWindowClassD3d" (or GxWindowClassOpenGl)
	Title     string
	Image     string // full path of the process's executable
	Visible   bool
	Integrity IntegrityLevel
}

func (w GameWindow) String() string {
	return fmt.Sprintf("%s (pid %d, window %#x)", baseName(w.Image), w.PID, w.HWND)
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// gameClassPrefix: the 3.3.5a client registers its main window class as
// "GxWindowClassD3d" (whoahq/whoa src/gx/d3d/CGxDeviceD3d.cpp:210, the reconstruction of
// the 3.3.5a client); other renderers and builds use other suffixes (GxWindowClassD3d9Ex
// appears in notes on a 3.3.5a-derived client, older tools FindWindow("GxWindowClass")),
// so the prefix is matched. Which suffix a given client uses is unknown.
const gameClassPrefix = "GxWindowClass"

// Locator is an injector that knows where the game's executable is (its folder holds
// Logs\WoWChatLog.txt).
type Locator interface {
	GameImage(ctx context.Context) (string, error)
}

// Chooser is an injector that can list the running game clients and be told which one
// to type into (several clients run: docs and ChooseWindow).
type Chooser interface {
	// Clients lists the game windows found now.
	Clients(ctx context.Context) ([]GameWindow, error)
	// Choose makes the client of process pid the one typed into (0: none chosen).
	Choose(pid uint32)
}

// Windows selection errors.
var (
	// ErrSeveral: more than one game client runs and the streamer has not chosen one.
	ErrSeveral = errors.New("several WoW clients are running: choose one in the window")
	// ErrElevated: the game runs at a higher integrity level than the Desktop, so
	// Windows drops everything the Desktop sends it.
	ErrElevated = errors.New("WoW runs as administrator: run the Desktop as administrator too")
)

// GameWindows picks the game's windows among all top-level windows: visible windows of
// a process whose executable is processName (case-insensitive), with the game's window
// class. Windows of the right process with another class (a launcher, a crash dialog) are
// left out. The result is ordered by process id, so a choice is shown the same way twice.
func GameWindows(all []GameWindow, processName string) []GameWindow {
	var out []GameWindow
	for _, w := range all {
		if !w.Visible || !strings.EqualFold(baseName(w.Image), processName) || !strings.HasPrefix(w.Class, gameClassPrefix) {
			continue
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// ChooseWindow is the window to type into: the only candidate, or the one whose process
// the streamer chose (chosenPID, 0 for none). Several candidates and no valid choice is
// ErrSeveral: typing into the wrong client could pay the wrong realm's character.
func ChooseWindow(cands []GameWindow, chosenPID uint32) (GameWindow, error) {
	switch len(cands) {
	case 0:
		return GameWindow{}, fmt.Errorf("%w: no visible game window (class %s*)", ErrNotFound, gameClassPrefix)
	case 1:
		if chosenPID == 0 || cands[0].PID == chosenPID {
			return cands[0], nil
		}
	}
	for _, c := range cands {
		if c.PID == chosenPID {
			return c, nil
		}
	}
	var list []string
	for _, c := range cands {
		list = append(list, c.String())
	}
	return GameWindow{}, fmt.Errorf("%w (%s)", ErrSeveral, strings.Join(list, ", "))
}

// CheckReach says whether the Desktop, at integrity level self, can type into game.
// UIPI lets a process post messages or inject input only into processes of lesser or
// equal integrity: https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-postmessagew
// ("message posting is subject to UIPI") and
// https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-sendinput
// ("Applications are permitted to inject input only into applications that are at an
// equal or lesser integrity level"). An unknown level is not a refusal: the post itself
// then tells (ERROR_ACCESS_DENIED).
func CheckReach(self IntegrityLevel, game GameWindow) error {
	if self != IntegrityUnknown && game.Integrity != IntegrityUnknown && game.Integrity > self {
		return fmt.Errorf("%w (the game's integrity level is %s, the Desktop's %s)", ErrElevated, game.Integrity, self)
	}
	return nil
}

// errAccessDenied is ERROR_ACCESS_DENIED (5), what GetLastError says after a PostMessage
// that UIPI blocked: "When a message is blocked by UIPI the last error, retrieved with
// GetLastError, is set to 5 (access denied)."
// https://learn.microsoft.com/en-us/windows/win32/api/winuser/nf-winuser-postmessagew
const errAccessDenied = syscall.Errno(5)

// FallbackAllowed says whether a failed PostMessage may be retried with SendInput. Never
// after ERROR_ACCESS_DENIED: that is UIPI, and SendInput into the same window is blocked
// too, silently ("neither GetLastError nor the return value will indicate the failure
// was caused by UIPI blocking", SendInput's page above) — the keys would be lost with
// nobody told.
func FallbackAllowed(postErr error) bool {
	return postErr != nil && !errors.Is(postErr, errAccessDenied)
}

// Win32 is what the SendInput fallback needs of the system.
type Win32 interface {
	// Foreground is GetForegroundWindow.
	Foreground() uintptr
	// SetForeground brings hwnd to the front (SetForegroundWindow, restoring a minimized
	// window first) and reports whether it is in front now.
	SetForeground(hwnd uintptr) bool
	// KeyDown is GetAsyncKeyState's "currently down" bit for a virtual key.
	KeyDown(vk uint16) bool
	// Sleep waits (a fake clock in tests).
	Sleep(d time.Duration)
}

// The modifier keys (VK_SHIFT, VK_CONTROL, VK_MENU = Alt, VK_LWIN, VK_RWIN): held while
// synthetic keys arrive, they turn a typed "r" into Ctrl+R, Alt+R — key bindings.
// SendInput "does not reset the keyboard's current state. Any keys that are already
// pressed when the function is called might interfere with the events that this
// function generates. To avoid this problem, check the keyboard's state with the
// GetAsyncKeyState function and correct as necessary." (SendInput's page above).
var modifierKeys = []struct {
	vk   uint16
	name string
}{{0x10, "Shift"}, {0x11, "Ctrl"}, {0x12, "Alt"}, {0x5B, "Windows"}, {0x5C, "Windows"}}

// ErrModifierHeld: a modifier key stayed down; nothing was typed.
var ErrModifierHeld = errors.New("a modifier key is held down")

// WithForeground runs input (SendInput of the strokes) with the game window in front:
// it waits until no modifier key is held (checking every 50 ms up to wait; the streamer
// may be pressing Alt+Tab), brings the window to the front, runs input, and puts back the
// window that was in front before — the streamer's browser or OBS, not the game, keeps
// the keyboard afterwards. A modifier pressed meanwhile is checked again right before
// typing. Nothing is typed when a modifier stays down or the window cannot come to the
// front.
func WithForeground(sys Win32, hwnd uintptr, wait time.Duration, input func() error) error {
	held := func() string {
		for _, m := range modifierKeys {
			if sys.KeyDown(m.vk) {
				return m.name
			}
		}
		return ""
	}
	for waited := time.Duration(0); ; waited += 50 * time.Millisecond {
		name := held()
		if name == "" {
			break
		}
		if waited >= wait {
			return fmt.Errorf("%w (%s): nothing typed, the command goes again later", ErrModifierHeld, name)
		}
		sys.Sleep(50 * time.Millisecond)
	}
	prev := sys.Foreground()
	if prev != hwnd && !sys.SetForeground(hwnd) {
		return errors.New("SendInput: could not bring the WoW window to the front")
	}
	if prev != 0 && prev != hwnd {
		defer sys.SetForeground(prev)
	}
	if name := held(); name != "" {
		return fmt.Errorf("%w (%s): nothing typed, the command goes again later", ErrModifierHeld, name)
	}
	return input()
}
