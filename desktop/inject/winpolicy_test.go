package inject

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func win(hwnd uintptr, pid uint32, class, image string) GameWindow {
	return GameWindow{HWND: hwnd, PID: pid, Class: class, Image: image, Visible: true, Integrity: IntegrityMedium}
}

func TestGameWindows_ByProcessAndClass(t *testing.T) {
	all := []GameWindow{
		win(1, 40, "GxWindowClassD3d", `C:\Games\WoW\Wow.exe`),
		win(2, 40, "#32770", `C:\Games\WoW\Wow.exe`),                // a dialog of the game: not the game window
		win(3, 41, "GxWindowClassD3d", `C:\Games\WoW\Launcher.exe`), // another program with the class
		win(4, 12, "GxWindowClassOpenGl", `D:\WoW 3.3.5\WOW.EXE`),   // another client, OpenGL, upper-case name
		win(5, 13, "Chrome_WidgetWin_1", `C:\Program Files\Google\Chrome\chrome.exe`),
		{HWND: 6, PID: 50, Class: "GxWindowClassD3d", Image: `C:\WoW\Wow.exe`}, // hidden
	}
	got := GameWindows(all, "Wow.exe")
	require.Len(t, got, 2)
	assert.Equal(t, []uintptr{4, 1}, []uintptr{got[0].HWND, got[1].HWND}, "ordered by process id")
	assert.Equal(t, "WOW.EXE (pid 12, window 0x4)", got[0].String())
}

func TestChooseWindow_SeveralClientsNeedTheStreamersChoice(t *testing.T) {
	a, b := win(1, 10, "GxWindowClassD3d", "Wow.exe"), win(2, 20, "GxWindowClassD3d", "Wow.exe")
	_, err := ChooseWindow(nil, 0)
	assert.ErrorIs(t, err, ErrNotFound)
	got, err := ChooseWindow([]GameWindow{a}, 0)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	_, err = ChooseWindow([]GameWindow{a, b}, 0)
	require.ErrorIs(t, err, ErrSeveral)
	assert.Contains(t, err.Error(), "pid 10")
	assert.Contains(t, err.Error(), "pid 20")
	got, err = ChooseWindow([]GameWindow{a, b}, 20)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	_, err = ChooseWindow([]GameWindow{a, b}, 30)
	assert.ErrorIs(t, err, ErrSeveral, "the chosen client was closed: choose again")
	_, err = ChooseWindow([]GameWindow{a}, 30)
	assert.ErrorIs(t, err, ErrSeveral, "the chosen client was closed and another runs: not silently the other")
}

func TestCheckReach_AGameRunAsAdministratorIsOutOfReach(t *testing.T) {
	game := win(1, 10, "GxWindowClassD3d", "Wow.exe")
	assert.NoError(t, CheckReach(IntegrityMedium, game))
	game.Integrity = IntegrityHigh
	err := CheckReach(IntegrityMedium, game)
	require.ErrorIs(t, err, ErrElevated)
	assert.Contains(t, err.Error(), "run the Desktop as administrator too")
	assert.NoError(t, CheckReach(IntegrityHigh, game), "both elevated")
	assert.NoError(t, CheckReach(IntegrityUnknown, game), "unknown: the post tells")
	game.Integrity = IntegrityMedium
	assert.NoError(t, CheckReach(IntegrityHigh, game), "down is allowed")
}

func TestFallbackAllowed_NeverAfterAccessDenied(t *testing.T) {
	assert.False(t, FallbackAllowed(nil))
	assert.False(t, FallbackAllowed(fmt.Errorf("PostMessage: %w", syscall.Errno(5))), "UIPI: SendInput would be dropped silently")
	assert.True(t, FallbackAllowed(fmt.Errorf("PostMessage: %w", syscall.Errno(1400))), "invalid window handle: try SendInput")
	assert.True(t, FallbackAllowed(errors.New("queue full")))
}

// fakeWin32 is a desktop: a foreground window, keys held for some time, and a record.
type fakeWin32 struct {
	fg     uintptr
	refuse bool           // SetForeground fails
	held   map[uint16]int // key → how many more checks it stays down
	calls  []string
	slept  time.Duration
}

func (f *fakeWin32) Foreground() uintptr { return f.fg }
func (f *fakeWin32) SetForeground(h uintptr) bool {
	f.calls = append(f.calls, fmt.Sprintf("front %#x", h))
	if f.refuse {
		return false
	}
	f.fg = h
	return true
}
func (f *fakeWin32) KeyDown(vk uint16) bool {
	if f.held[vk] > 0 {
		f.held[vk]--
		return true
	}
	return false
}
func (f *fakeWin32) Sleep(d time.Duration) { f.slept += d }

func TestWithForeground_TypesInFrontAndGivesTheFrontBack(t *testing.T) {
	sys := &fakeWin32{fg: 0x99}
	typed := false
	require.NoError(t, WithForeground(sys, 0x10, time.Second, func() error {
		typed = sys.fg == 0x10
		sys.calls = append(sys.calls, "type")
		return nil
	}))
	assert.True(t, typed, "typed with the game in front")
	assert.Equal(t, []string{"front 0x10", "type", "front 0x99"}, sys.calls, "the streamer's window is back in front")
	assert.Equal(t, uintptr(0x99), sys.fg)
}

func TestWithForeground_WaitsWhileAModifierIsHeldAndGivesUpAfterAWhile(t *testing.T) {
	sys := &fakeWin32{fg: 0x99, held: map[uint16]int{0x12: 3}} // Alt released after three checks
	n := 0
	require.NoError(t, WithForeground(sys, 0x10, time.Second, func() error { n++; return nil }))
	assert.Equal(t, 1, n)
	assert.Equal(t, 150*time.Millisecond, sys.slept)

	sys = &fakeWin32{fg: 0x99, held: map[uint16]int{0x11: 1000}} // Ctrl held down
	err := WithForeground(sys, 0x10, 500*time.Millisecond, func() error { n++; return nil })
	require.ErrorIs(t, err, ErrModifierHeld)
	assert.Contains(t, err.Error(), "Ctrl")
	assert.Equal(t, 1, n, "nothing typed")
	assert.Empty(t, sys.calls, "the game was not even brought to the front")
}

func TestWithForeground_RefusesWhenTheWindowCannotComeToTheFront(t *testing.T) {
	sys := &fakeWin32{fg: 0x99, refuse: true}
	err := WithForeground(sys, 0x10, time.Second, func() error { t.Fatal("typed into the wrong window"); return nil })
	assert.Error(t, err)
}
