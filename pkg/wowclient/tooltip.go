package wowclient

// GameTooltip: its methods, the lines it shows for an item, and the TextLeft font strings
// addons read them from.

import (
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var tooltipMethods = map[string]method{
	"SetOwner":   noop,
	"SetText":    setText,
	"ClearLines": func(c *Client, _ *lua.LState, w *widget) int { w.lines = nil; c.syncTooltip(w); return 0 },
	"NumLines":   retNumber(func(w *widget) float64 { return float64(len(w.lines)) }),
	"AddLine": func(c *Client, L *lua.LState, w *widget) int {
		w.lines = append(w.lines, L.OptString(2, ""))
		c.syncTooltip(w)
		return 0
	},
	"AddDoubleLine": func(c *Client, L *lua.LState, w *widget) int {
		w.lines = append(w.lines, L.OptString(2, ""))
		c.syncTooltip(w)
		return 0
	},
	"SetBagItem": func(c *Client, L *lua.LState, w *widget) int {
		w.lines = nil
		if it := c.bagItem(L.CheckInt(2), L.CheckInt(3)); it != nil {
			w.lines = c.tooltipLines(*it)
		}
		c.syncTooltip(w)
		L.Push(lua.LNil)
		L.Push(lua.LNumber(0))
		return 2
	},
	"SetHyperlink": func(c *Client, L *lua.LState, w *widget) int {
		w.lines = nil
		if it, ok := c.itemFromArg(L.CheckString(2)); ok {
			w.lines = c.tooltipLines(it)
		}
		c.syncTooltip(w)
		return 0
	},
}

func (c *Client) tooltipLines(it Item) []string {
	lines := []string{it.Name}
	if it.Soulbound {
		lines = append(lines, c.gs("ITEM_SOULBOUND"))
	}
	if it.Quest {
		lines = append(lines, c.gs("ITEM_BIND_QUEST"))
	}
	if it.Conjured {
		lines = append(lines, c.gs("ITEM_CONJURED"))
	}
	if it.Duration > 0 {
		lines = append(lines, durationLine(c, it.Duration))
	}
	lines = append(lines, it.Class)
	return lines
}

// durationLine is the tooltip's "Duration: …" line (ITEM_DURATION_DAYS/HOURS/MIN/SEC).
func durationLine(c *Client, d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		n := int(d / (24 * time.Hour))
		return plural(fmt.Sprintf(c.gs("ITEM_DURATION_DAYS"), n), n)
	case d >= time.Hour:
		n := int(d / time.Hour)
		return plural(fmt.Sprintf(c.gs("ITEM_DURATION_HOURS"), n), n)
	case d >= time.Minute:
		return fmt.Sprintf(c.gs("ITEM_DURATION_MIN"), int(d/time.Minute))
	}
	return fmt.Sprintf(c.gs("ITEM_DURATION_SEC"), int(d/time.Second))
}

// syncTooltip keeps the <name>TextLeft<i> font strings in step with the tooltip's lines,
// which is how addons read a tooltip.
func (c *Client) syncTooltip(w *widget) {
	if w.name == "" {
		return
	}
	for i := 1; i <= max(len(w.lines), 30); i++ {
		n := fmt.Sprintf("%sTextLeft%d", w.name, i)
		fs := c.widgetByName(n)
		if fs == nil {
			if i > len(w.lines) {
				continue
			}
			fs = c.newWidget("FontString", n, w)
		}
		if i <= len(w.lines) {
			fs.text = w.lines[i-1]
			fs.shown = true
		} else {
			fs.text = ""
			fs.shown = false
		}
	}
}
