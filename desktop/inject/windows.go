//go:build windows

package inject

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procPostMessageW     = user32.NewProc("PostMessageW")
	procSendInput        = user32.NewProc("SendInput")
	procSetForegroundWnd = user32.NewProc("SetForegroundWindow")
	procShowWindow       = user32.NewProc("ShowWindow")
	procIsIconic         = user32.NewProc("IsIconic")
	procMapVirtualKeyW   = user32.NewProc("MapVirtualKeyW")
)

const (
	inputKeyboard   = 1
	keyeventfKeyUp  = 0x0002
	keyeventfUnicod = 0x0004
	swRestore       = 9
)

// Windows types into the WoW window of a process found by its image name (Wow.exe by
// default) — any of its top-level windows, not only the foreground one. PostMessage
// (the command key, then WM_CHAR per character: plan.go) works with the window in the
// background; SendInput (KEYEVENTF_UNICODE) is the fallback, and needs the window in front.
type Windows struct {
	ProcessName string        // image name, case-insensitive ("Wow.exe")
	Strategy    string        // StrategyPostMessage (default) or StrategySendInput
	KeyDelay    time.Duration // pause after opening the edit box and between keys
}

// NewPlatform is the injector for this platform.
func NewPlatform(processName, strategy string) Injector {
	if processName == "" {
		processName = "Wow.exe"
	}
	return &Windows{ProcessName: processName, Strategy: strategy, KeyDelay: 30 * time.Millisecond}
}

func (w *Windows) Name() string {
	s := w.Strategy
	if s == "" {
		s = StrategyPostMessage
	}
	return "windows/" + s
}

func (w *Windows) Find(context.Context) (string, error) {
	hwnd, pid, err := w.find()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (pid %d, window %#x)", w.ProcessName, pid, uintptr(hwnd)), nil
}

// find is the game window to type into: among the visible windows of the game's process
// with the game's window class (GameWindows), the only one or the one the streamer
// chose (ChooseWindow), and only if the Desktop can reach it (CheckReach: a game run as
// administrator cannot be typed into from a Desktop that is not).
func (w *Windows) find() (windows.HWND, uint32, error) {
	gw, err := ChooseWindow(GameWindows(listWindows(), w.ProcessName), chosenClient.Load())
	if errors.Is(err, ErrNotFound) {
		return 0, 0, fmt.Errorf("%w: no visible window of %s with the game's window class (%s…)", ErrNotFound, w.ProcessName, gameClassPrefix)
	}
	if err != nil {
		return 0, 0, err
	}
	if err := CheckReach(selfIntegrity(), gw); err != nil {
		return 0, 0, err
	}
	return windows.HWND(gw.HWND), gw.PID, nil
}

// Send posts the strokes to the WoW window (postPlan decides the messages), or, with the
// SendInput strategy or when posting fails for a reason SendInput can get past,
// synthesizes them with SendInput.
func (w *Windows) Send(ctx context.Context, strokes []Stroke) error {
	hwnd, _, err := w.find()
	if err != nil {
		return err
	}
	if w.Strategy != StrategySendInput {
		err := w.post(hwnd, strokes)
		if err == nil {
			return nil
		}
		if !FallbackAllowed(err) { // UIPI: SendInput would be dropped silently too
			return fmt.Errorf("%w (%v)", ErrElevated, err)
		}
	}
	return w.sendInput(hwnd, strokes)
}

func (w *Windows) pause() {
	if w.KeyDelay > 0 {
		time.Sleep(w.KeyDelay)
	}
}

func postMessage(hwnd windows.HWND, msg uint32, wparam, lparam uintptr) error {
	r, _, err := procPostMessageW.Call(uintptr(hwnd), uintptr(msg), wparam, lparam)
	if r == 0 {
		return fmt.Errorf("PostMessage: %w", err)
	}
	return nil
}

func scanCode(vk uint32) uint32 {
	r, _, _ := procMapVirtualKeyW.Call(uintptr(vk), 0)
	return uint32(r)
}

func (w *Windows) post(hwnd windows.HWND, strokes []Stroke) error {
	plan, err := postPlan(strokes, scanCode)
	if err != nil {
		return err
	}
	for _, m := range plan {
		if err := postMessage(hwnd, m.msg, m.wparam, m.lparam); err != nil {
			return err
		}
		if m.pause {
			w.pause()
		}
	}
	return nil
}

type keyboardInput struct {
	wVk         uint16
	wScan       uint16
	dwFlags     uint32
	time        uint32
	dwExtraInfo uintptr
}

// input is INPUT with the keyboard member; padding makes it as large as the union's
// largest member (MOUSEINPUT), as SendInput checks cbSize.
type input struct {
	inputType uint32
	ki        keyboardInput
	_         [8]byte
}

func key(vk uint16, up bool) input {
	in := input{inputType: inputKeyboard, ki: keyboardInput{wVk: vk}}
	if up {
		in.ki.dwFlags = keyeventfKeyUp
	}
	return in
}

func unicodeKey(u uint16, up bool) input {
	in := input{inputType: inputKeyboard, ki: keyboardInput{wScan: u, dwFlags: keyeventfUnicod}}
	if up {
		in.ki.dwFlags |= keyeventfKeyUp
	}
	return in
}

func send(ins []input) error {
	if len(ins) == 0 {
		return nil
	}
	n, _, err := procSendInput.Call(uintptr(len(ins)), uintptr(unsafe.Pointer(&ins[0])), unsafe.Sizeof(ins[0]))
	if int(n) != len(ins) {
		return fmt.Errorf("SendInput: %w", err)
	}
	return nil
}

// sendInput types with synthesized keys, which go to the foreground window: WithForeground
// waits until no modifier key is held, brings the game to the front and gives the front
// back to the window the streamer was in afterwards.
func (w *Windows) sendInput(hwnd windows.HWND, strokes []Stroke) error {
	return WithForeground(realWin32{}, uintptr(hwnd), 2*time.Second, func() error { return w.sendInputNow(strokes) })
}

func (w *Windows) sendInputNow(strokes []Stroke) error {
	var ins []input
	for _, s := range strokes {
		if s.Key != "" {
			vk, ok := virtualKeys[s.Key]
			if !ok {
				return fmt.Errorf("no virtual key for %q", s.Key)
			}
			if err := send(append(ins, key(uint16(vk), false), key(uint16(vk), true))); err != nil {
				return err
			}
			ins = nil
			w.pause()
			continue
		}
		ins = append(ins, unicodeKey(s.Char, false), unicodeKey(s.Char, true))
	}
	return send(ins)
}
