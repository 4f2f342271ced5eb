package wowclient

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// string.format as the 3.3.5a client's Lua 5.1 does it. gopher-lua's is Go's
// fmt.Sprintf on Lua values, which is kinder than the real thing: "%s" of nil, a
// boolean or a table prints "nil"/"true"/an address where Lua 5.1 raises "bad argument
// … (string expected, got nil)"; "%v" or a missing argument print "%!v(…)" or
// "%!d(MISSING)" where Lua raises; "%c" of 321 writes a two-byte rune where Lua writes
// the byte 321 % 256; "%.2s" counts runes where Lua counts bytes; "%g" without a
// precision prints the shortest form ("1.234567e+06") where C prints 6 digits
// ("1.23457e+06"); "%q" escapes Go-style. An addon that passed here could then break in
// the game.
//
// Evidence: Lua 5.1.5 src/lstrlib.c str_format and scanformat (https://www.lua.org/source/5.1/lstrlib.c.html):
// flags "-+ #0" at most 5, width and precision at most 2 digits each, conversions
// c d i o u x X e E f g G q s and nothing else; c, d, i, o, u, x, X, e, E, f, g, G take
// luaL_checknumber (a number or a string that converts), s and q luaL_checklstring (a
// string or a number, converted as "%.14g"); %s of 100 bytes or more without a precision
// is copied whole; %q quotes '"', '\\' and a line break with a backslash, writes "\r"
// and "\000". The outputs in strformat_test.go were produced by Debian's lua5.1.
//
// The 3.3.5a client is a 32-bit Windows program, so LUA_INTFRM_T (C long) is 32 bits: %d
// of a value outside [-2^31, 2^31) is undefined behaviour in C (MSVC yields
// 0x80000000); here it raises an error, the stricter choice. %x of a negative value is
// its 32-bit two's complement.
func luaFormat(L *lua.LState) int {
	fmtStr := L.CheckString(1)
	top := L.GetTop()
	arg := 1
	var b strings.Builder
	for i := 0; i < len(fmtStr); i++ {
		c := fmtStr[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i < len(fmtStr) && fmtStr[i] == '%' {
			b.WriteByte('%')
			continue
		}
		arg++
		if arg > top {
			L.RaiseError("bad argument #%d to 'format' (no value)", arg)
		}
		// scanformat
		start := i
		for i < len(fmtStr) && strings.IndexByte("-+ #0", fmtStr[i]) >= 0 {
			i++
		}
		if i-start >= len("-+ #0")+1 {
			L.RaiseError("invalid format (repeated flags)")
		}
		flags := fmtStr[start:i]
		width, prec := -1, -1
		digits := func() int {
			n, v := 0, 0
			for n < 2 && i < len(fmtStr) && fmtStr[i] >= '0' && fmtStr[i] <= '9' {
				v = v*10 + int(fmtStr[i]-'0')
				i++
				n++
			}
			if n == 0 {
				return -1
			}
			return v
		}
		width = digits()
		if i < len(fmtStr) && fmtStr[i] == '.' {
			i++
			if prec = digits(); prec < 0 {
				prec = 0
			}
		}
		if i < len(fmtStr) && fmtStr[i] >= '0' && fmtStr[i] <= '9' {
			L.RaiseError("invalid format (width or precision too long)")
		}
		if i >= len(fmtStr) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		spec := func(verb byte) string {
			s := "%" + flags
			if width >= 0 {
				s += fmt.Sprint(width)
			}
			if prec >= 0 {
				s += "." + fmt.Sprint(prec)
			}
			return s + string(verb)
		}
		switch conv := fmtStr[i]; conv {
		case 'c':
			n := checkFormatNumber(L, arg)
			b.WriteString(padBytes(string([]byte{byte(int64(n))}), flags, width))
		case 'd', 'i':
			v := checkFormatLong(L, arg)
			b.WriteString(fmt.Sprintf(spec('d'), v))
		case 'o', 'u', 'x', 'X':
			v := uint32(checkFormatLong(L, arg))
			verb := conv
			if conv == 'u' {
				verb = 'd'
			}
			b.WriteString(fmt.Sprintf(spec(verb), v))
		case 'e', 'E', 'f', 'g', 'G':
			v := checkFormatNumber(L, arg)
			if (conv == 'g' || conv == 'G') && prec < 0 {
				prec = 6 // C's default; Go's %g without a precision prints the shortest form
			}
			s := fmt.Sprintf(spec(conv), v)
			if math.IsInf(v, 0) || math.IsNaN(v) {
				s = strings.NewReplacer("+Inf", "inf", "-Inf", "-inf", "NaN", "nan").Replace(s)
			}
			b.WriteString(s)
		case 'q':
			s := checkFormatString(L, arg)
			b.WriteByte('"')
			for k := 0; k < len(s); k++ {
				switch ch := s[k]; ch {
				case '"', '\\', '\n':
					b.WriteByte('\\')
					b.WriteByte(ch)
				case '\r':
					b.WriteString(`\r`)
				case 0:
					b.WriteString(`\000`)
				default:
					b.WriteByte(ch)
				}
			}
			b.WriteByte('"')
		case 's':
			s := checkFormatString(L, arg)
			if prec < 0 && len(s) >= 100 {
				b.WriteString(s)
				continue
			}
			if k := strings.IndexByte(s, 0); k >= 0 {
				s = s[:k] // sprintf stops at the first zero byte
			}
			if prec >= 0 && len(s) > prec {
				s = s[:prec] // bytes, not characters
			}
			b.WriteString(padBytes(s, flags, width))
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// padBytes pads s with spaces to width bytes (C's printf counts bytes).
func padBytes(s, flags string, width int) string {
	if width <= len(s) {
		return s
	}
	pad := strings.Repeat(" ", width-len(s))
	if strings.Contains(flags, "-") {
		return s + pad
	}
	return pad + s
}

// checkFormatNumber is luaL_checknumber: a number, or a string that converts to one.
func checkFormatNumber(L *lua.LState, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	L.RaiseError("bad argument #%d to 'format' (number expected, got %s)", n, luaTypeName(L.Get(n)))
	return 0
}

// checkFormatLong is the cast to the 32-bit client's C long (see luaFormat).
func checkFormatLong(L *lua.LState, n int) int32 {
	v := checkFormatNumber(L, n)
	t := math.Trunc(v)
	if math.IsNaN(v) || t < math.MinInt32 || t > math.MaxInt32 {
		L.RaiseError("bad argument #%d to 'format' (%v does not fit the 32-bit client's C long: undefined in C)", n, v)
	}
	return int32(t)
}

// checkFormatString is luaL_checklstring: a string, or a number written as "%.14g".
func checkFormatString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(float64(v))
	}
	L.RaiseError("bad argument #%d to 'format' (string expected, got %s)", n, luaTypeName(L.Get(n)))
	return ""
}

// luaNumberString is Lua 5.1's LUA_NUMBER_FMT "%.14g".
func luaNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return fmt.Sprintf("%.14g", f)
}

func luaTypeName(v lua.LValue) string {
	if v == lua.LNil {
		return "nil"
	}
	return v.Type().String()
}

// parseLuaNumber is lua_tonumber on a string: decimal (strtod) or 0x hex, with spaces
// around.
func parseLuaNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(strings.ToLower(t), "0x"); ok {
		n, err := strconv.ParseUint(h, 16, 64)
		return float64(n), err
	}
	return strconv.ParseFloat(t, 64)
}
