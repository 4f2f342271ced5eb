package wowclient_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// gopher-lua compiles a multiple assignment to locals wrongly when an expression reads a
// local that an earlier target of the same statement assigns: it assigns that target
// before it evaluates the later expressions, so `a, b = b, a` leaves 2, 2 and
// `a, b = 5, a` gives 5, 5 where Lua 5.1 evaluates everything first (1, 2 → 2, 1 and
// 5, 1) (https://github.com/yuin/gopher-lua/issues/440, open; an expression reading a
// later target, a global or a field is compiled right). The headless client would then
// test different code from what the 3.3.5a client runs, so the addon must not contain
// such a statement: this test finds them.

var (
	multiAssignRe = regexp.MustCompile(`^\s*([A-Za-z_][\w.:\[\]"' ]*(?:,\s*[A-Za-z_][\w.:\[\]"' ]*)+)=([^=].*)$`)
	identRe       = regexp.MustCompile(`[A-Za-z_]\w*`)
	stringLitRe   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
)

// splitTop splits s at the commas outside brackets.
func splitTop(s string) []string {
	var out []string
	depth, from := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[from:i])
				from = i + 1
			}
		}
	}
	return append(out, s[from:])
}

// hazardousAssignments returns the lines of src holding a multiple assignment (not a
// local declaration) in which an expression reads a plain name that an earlier target
// of the statement assigns.
func hazardousAssignments(src string) []string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		code := line
		if i := strings.Index(code, "--"); i >= 0 {
			code = code[:i]
		}
		code = stringLitRe.ReplaceAllString(code, `""`)
	stmts:
		for _, stmt := range strings.Split(code, ";") {
			stmt = strings.TrimSpace(stmt)
			if strings.HasPrefix(stmt, "local ") || strings.Contains(stmt, "==") || strings.HasPrefix(stmt, "for ") {
				continue
			}
			m := multiAssignRe.FindStringSubmatch(stmt)
			if m == nil || strings.ContainsAny(m[1], "()") {
				continue
			}
			target := map[string]int{} // plain-name target → its position
			for i, tg := range strings.Split(m[1], ",") {
				if name := strings.TrimSpace(tg); identRe.FindString(name) == name {
					if _, dup := target[name]; !dup {
						target[name] = i
					}
				}
			}
			for j, expr := range splitTop(m[2]) {
				for _, loc := range identRe.FindAllStringIndex(expr, -1) {
					name := expr[loc[0]:loc[1]]
					if loc[0] > 0 && (expr[loc[0]-1] == '.' || expr[loc[0]-1] == ':') {
						continue // a field, not the local
					}
					if i, ok := target[name]; ok && i < j {
						out = append(out, strings.TrimSpace(line))
						continue stmts
					}
				}
			}
		}
	}
	return out
}

func TestAddon_NoMultipleAssignmentGopherLuaCompilesWrong(t *testing.T) {
	// the checker finds what gopher-lua gets wrong …
	for _, bad := range []string{"a, b = b, a", "\tx, y = x + 1, x + y -- step", "a, b, c = b, c, a", "a, b = 5, f(g(1), a)"} {
		assert.NotEmpty(t, hazardousAssignments(bad), bad)
	}
	for _, fine := range []string{"x2, z2 = x3, z3", "local a, b = b, a", "a, b = t.a, t.b", `s, n = "a, s", 1`,
		"if a == b then x = 1 end", "h, g, f = g, f, e", "a, b = f(a, b), g(b)", "t[i], i = 20, 3"} {
		assert.Empty(t, hazardousAssignments(fine), fine)
	}
	// … and gopher-lua still gets it wrong (if this fails, the bug is fixed upstream and
	// this test can go)
	L := lua.NewState()
	defer L.Close()
	require.NoError(t, L.DoString(`local a, b = 1, 2; a, b = b, a; MGMSwap = a .. "," .. b`))
	assert.Equal(t, "2,2", L.GetGlobal("MGMSwap").String())

	files, err := filepath.Glob(filepath.Join(addonDir(t), "*.lua"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Empty(t, hazardousAssignments(string(b)), "%s: a multiple assignment that reads what it assigns "+
			"(gopher-lua #440: the headless client would run it differently from the game); use a temporary", filepath.Base(f))
	}
}
