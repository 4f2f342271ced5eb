package wowclient

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// saveVariables writes the .toc's SavedVariables (account-wide) and
// SavedVariablesPerCharacter as Lua source, the way the client does on logout and /reload.
func (c *Client) saveVariables() error {
	for _, per := range []bool{false, true} {
		names := c.savedVars
		if per {
			names = c.savedVarsC
		}
		if len(names) == 0 {
			continue
		}
		var b strings.Builder
		for _, n := range names {
			b.WriteString("\n")
			b.WriteString(n)
			b.WriteString(" = ")
			writeLuaValue(&b, c.L.GetGlobal(n), 0)
			b.WriteString("\n")
		}
		path := c.svPath(per)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("wowclient: SavedVariables: %w", err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("wowclient: SavedVariables: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("wowclient: SavedVariables: %w", err)
		}
	}
	return nil
}

func writeLuaValue(b *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LBool:
		b.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		f := float64(v)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			b.WriteString("0")
		case f == math.Trunc(f) && math.Abs(f) < 1e15:
			b.WriteString(strconv.FormatInt(int64(f), 10))
		default:
			b.WriteString(strconv.FormatFloat(f, 'g', 17, 64))
		}
	case lua.LString:
		b.WriteString(quoteLua(string(v)))
	case *lua.LTable:
		if depth > 50 {
			b.WriteString("nil")
			return
		}
		type kv struct{ k, v lua.LValue }
		var kvs []kv
		v.ForEach(func(k, val lua.LValue) {
			switch k.(type) {
			case lua.LString, lua.LNumber, lua.LBool:
			default:
				return
			}
			switch val.(type) {
			case lua.LString, lua.LNumber, lua.LBool, *lua.LTable:
				kvs = append(kvs, kv{k, val})
			}
		})
		sort.Slice(kvs, func(i, j int) bool {
			ni, iNum := kvs[i].k.(lua.LNumber)
			nj, jNum := kvs[j].k.(lua.LNumber)
			if iNum != jNum {
				return iNum
			}
			if iNum {
				return ni < nj
			}
			return kvs[i].k.String() < kvs[j].k.String()
		})
		b.WriteString("{\n")
		for _, e := range kvs {
			b.WriteString(strings.Repeat("\t", depth+1))
			b.WriteString("[")
			writeLuaValue(b, e.k, depth+1)
			b.WriteString("] = ")
			writeLuaValue(b, e.v, depth+1)
			b.WriteString(",\n")
		}
		b.WriteString(strings.Repeat("\t", depth))
		b.WriteString("}")
	default:
		b.WriteString("nil")
	}
}

func quoteLua(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch == '\n':
			b.WriteString(`\n`)
		case ch < 0x20 || ch == 0x7f:
			fmt.Fprintf(&b, `\%03d`, ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
