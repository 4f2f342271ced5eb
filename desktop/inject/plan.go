package inject

import "fmt"

// The window messages for strokes, decided here so that the decision can be tested on
// any platform; windows.go only posts them (PostMessageW) or turns them into SendInput.

// Windows message numbers and virtual-key codes (WinUser.h).
const (
	wmKeyDown = 0x0100
	wmKeyUp   = 0x0101
	wmChar    = 0x0102
)

// virtualKeys maps the WoW key names the Desktop presses to Windows virtual-key codes;
// the 3.3.5a client turns VK_SCROLL and VK_PAUSE into its SCROLLLOCK and PAUSE keys
// (whoahq/whoa src/event/win/Input.cpp ConvertKeyCode). F13 and above are not among the
// keys it knows, which is why they are not used.
var virtualKeys = map[string]uint32{
	"SCROLLLOCK": 0x91, // VK_SCROLL
	"PAUSE":      0x13, // VK_PAUSE
	"ENTER":      0x0D, // VK_RETURN
	"ESCAPE":     0x1B, // VK_ESCAPE
}

// winMsg is one message to post; pause asks for the key delay after it.
type winMsg struct {
	msg    uint32
	wparam uintptr
	lparam uintptr
	pause  bool
}

// postPlan is the messages for strokes: a key is WM_KEYDOWN then WM_KEYUP (lParam:
// repeat count 1, the scan code in bits 16-23, and for the release the previous-state
// and transition bits 30 and 31), followed by a pause so the game handles it before the
// characters arrive; a character is one WM_CHAR. scan maps a virtual key to its scan code
// (MapVirtualKeyW on Windows).
func postPlan(strokes []Stroke, scan func(vk uint32) uint32) ([]winMsg, error) {
	var out []winMsg
	for _, s := range strokes {
		if s.Key == "" {
			if s.Char < 0x20 {
				return nil, fmt.Errorf("character %#x cannot be typed (the game drops control characters)", s.Char)
			}
			out = append(out, winMsg{msg: wmChar, wparam: uintptr(s.Char), lparam: 1})
			continue
		}
		vk, ok := virtualKeys[s.Key]
		if !ok {
			return nil, fmt.Errorf("no virtual key for %q", s.Key)
		}
		down := uintptr(1) | uintptr(scan(vk)&0xff)<<16
		out = append(out,
			winMsg{msg: wmKeyDown, wparam: uintptr(vk), lparam: down},
			winMsg{msg: wmKeyUp, wparam: uintptr(vk), lparam: down | 1<<30 | 1<<31, pause: true})
	}
	return out, nil
}
