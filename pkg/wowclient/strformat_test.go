package wowclient_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formatCases are string.format calls and what Debian's lua5.1 (Lua 5.1.5) prints for
// them; only "%x" of a negative value differs on purpose (the 3.3.5a client's C long is
// 32 bits, lua5.1 on amd64 has 64: ffffffffffffffff).
var formatCases = []struct{ call, want string }{
	{`string.format("%d", 3.7)`, "3"},
	{`string.format("%5d|", 42)`, "   42|"},
	{`string.format("%-5d|", 42)`, "42   |"},
	{`string.format("%05d", -42)`, "-0042"},
	{`string.format("%+d % d", 5, 5)`, "+5  5"},
	{`string.format("%.3d %i", 5, 12)`, "005 12"},
	{`string.format("%x %X %#x %o %#o %u", 255, 255, 255, 8, 8, 7)`, "ff FF 0xff 10 010 7"},
	{`string.format("%08.3f %.2f", 3.14159, 2.675)`, "0003.142 2.67"},
	{`string.format("%e %.3E", 12345.678, 0.00012345)`, "1.234568e+04 1.234E-04"},
	{`string.format("%g %g %g %g %G", 1234567, 0.0001, 100000, 1e-5, 1e20)`, "1.23457e+06 0.0001 100000 1e-05 1E+20"},
	{`string.format("%#g %.3g", 1.5, 3.14159)`, "1.50000 3.14"},
	{`string.format("%s|%5s|%-5s|", "abc", "ab", "ab")`, "abc|   ab|ab   |"},
	{`string.format("%.2s", "\208\182\208\182")`, "\xd0\xb6"},
	{`string.format("%s %s %s", 12, 0.5, 1e15)`, "12 0.5 1e+15"},
	{`string.format("%c%c", 65, 321)`, "AA"},
	{`string.format("%q", "a\nb\0c\r\"\\")`, "\"a\\\nb\\000c\\r\\\"\\\\\""},
	{`string.format("%5.2q", "x")`, `"x"`},
	{`string.format("%%|%5.1s|", "xyz")`, "%|    x|"},
	{`string.format("%d", "12")`, "12"},
	{`string.format("%x", -1)`, "ffffffff"},
}

var formatErrors = []struct{ call, want string }{
	{`string.format("%s", nil)`, "bad argument #2 to 'format' (string expected, got nil)"},
	{`string.format("%s", true)`, "bad argument #2 to 'format' (string expected, got boolean)"},
	{`string.format("%s", {})`, "bad argument #2 to 'format' (string expected, got table)"},
	{`string.format("%d", "x")`, "bad argument #2 to 'format' (number expected, got string)"},
	{`string.format("%d")`, "bad argument #2 to 'format' (no value)"},
	{`string.format("%s %s", "a")`, "bad argument #3 to 'format' (no value)"},
	{`string.format("%v", 1)`, "invalid option '%v' to 'format'"},
	{`string.format("%123d", 1)`, "invalid format (width or precision too long)"},
	{`string.format("%1.123f", 1)`, "invalid format (width or precision too long)"},
	{`string.format("%------d", 1)`, "invalid format (repeated flags)"},
	{`string.format("%d", 2^31)`, "does not fit the 32-bit client's C long"},
}

// The headless client's string.format is Lua 5.1's, not gopher-lua's (Go's fmt).
func TestLua_StringFormatIsLua51s(t *testing.T) {
	c := newClient(t)
	for _, tc := range formatCases {
		got, err := c.Eval(tc.call)
		require.NoError(t, err, tc.call)
		assert.Equal(t, tc.want, got, tc.call)
	}
	got, err := c.Eval(`("%d|%s"):format(3.7, "x")`) // the string methods are the same function
	require.NoError(t, err)
	assert.Equal(t, "3|x", got)
	for _, tc := range formatErrors {
		_, err := c.Eval(tc.call)
		require.Error(t, err, tc.call)
		assert.Contains(t, err.Error(), tc.want, tc.call)
	}
}

// Where Debian's lua5.1 is installed (scripts/lint-addon.sh installs it), the expected
// outputs above are checked against it, so the table cannot drift from the real thing.
func TestLua_StringFormatCasesAreWhatLua51Prints(t *testing.T) {
	lua51, err := exec.LookPath("lua5.1")
	if err != nil {
		t.Skip("lua5.1 not installed (scripts/lint-addon.sh installs it)")
	}
	for _, tc := range formatCases {
		if tc.call == `string.format("%x", -1)` {
			continue // 64-bit C long there
		}
		out, err := exec.Command(lua51, "-e", "io.write("+tc.call+")").Output()
		require.NoError(t, err, tc.call)
		assert.Equal(t, tc.want, string(out), tc.call)
	}
	for _, tc := range formatErrors {
		if strings.Contains(tc.want, "C long") {
			continue
		}
		out, err := exec.Command(lua51, "-e", "local ok, e = pcall(function() return "+tc.call+" end) io.write(tostring(e))").Output()
		require.NoError(t, err, tc.call)
		assert.Contains(t, strings.Replace(string(out), "'?'", "'format'", 1), tc.want, tc.call)
	}
}
