package wowclient

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The 3.3.5a client ships Lua 5.1 with a "bit" library: bnot, band, bor, bxor, lshift,
// rshift, arshift, mod. Evidence that it exists and how Blizzard's own code calls it:
// tekkub/wow-ui-source@3.3.5 FrameXML/Constants.lua:280 (bit.bor of several flags),
// FrameXML/EquipmentManager.lua:149 (bit.rshift, bit.lshift), FrameXML/QuestLogFrame.lua:652;
// the function list is the wiki's "Bit Functions" page ("WoW includes the Lua BitLib
// library since 1.9": bnot, band, bor, bxor, lshift, rshift, arshift, mod), copied at
// https://blog.csdn.net/yuan2053/article/details/71487325.
//
// Unknown: how the client converts an argument outside the signed 32-bit range (the
// 32-bit Wow.exe may cast a double above 2^31-1 to 0x80000000), and whether results
// come back signed or unsigned. This emulation is the stricter one on both: an argument
// that is not an integer in [-2^31, 2^31) raises an error, and results are signed 32-bit
// values (Options.BitUnsigned returns them unsigned instead, so a test can run addon code
// under both conventions). A shift count must be 0..31.

func toBit(L *lua.LState, i int) int32 {
	v := float64(L.CheckNumber(i))
	if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
		L.RaiseError("bad argument #%d to bit function (%v is not a signed 32-bit integer; how the 3.3.5a client converts it is unknown)", i, v)
	}
	return int32(v)
}

func shiftCount(L *lua.LState, i int) uint {
	n := toBit(L, i)
	if n < 0 || n > 31 {
		L.RaiseError("bad argument #%d to bit shift (count %d outside 0..31)", i, n)
	}
	return uint(n)
}

func (c *Client) openBit(L *lua.LState) {
	push := func(L *lua.LState, r int32) int {
		if c.opts.BitUnsigned {
			L.Push(lua.LNumber(float64(uint32(r))))
		} else {
			L.Push(lua.LNumber(float64(r)))
		}
		return 1
	}
	fold := func(op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			n := L.GetTop()
			if n < 1 {
				L.RaiseError("bad argument #1 to bit function (number expected, got no value)")
			}
			r := toBit(L, 1)
			for i := 2; i <= n; i++ {
				r = op(r, toBit(L, i))
			}
			return push(L, r)
		}
	}
	t := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"band": fold(func(a, b int32) int32 { return a & b }),
		"bor":  fold(func(a, b int32) int32 { return a | b }),
		"bxor": fold(func(a, b int32) int32 { return a ^ b }),
		"bnot": func(L *lua.LState) int { return push(L, ^toBit(L, 1)) },
		"lshift": func(L *lua.LState) int {
			return push(L, int32(uint32(toBit(L, 1))<<shiftCount(L, 2)))
		},
		"rshift": func(L *lua.LState) int {
			return push(L, int32(uint32(toBit(L, 1))>>shiftCount(L, 2)))
		},
		"arshift": func(L *lua.LState) int { return push(L, toBit(L, 1)>>shiftCount(L, 2)) },
		"mod": func(L *lua.LState) int {
			a, b := toBit(L, 1), toBit(L, 2)
			if b == 0 {
				L.RaiseError("bad argument #2 to bit.mod (division by zero)")
			}
			return push(L, a%b)
		},
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	L.SetGlobal("bit", t)
}
