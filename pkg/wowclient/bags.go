package wowclient

// Money and bags, and finding an item by its link, id or name.

import (
	"regexp"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// Money is the character's copper.
func (c *Client) Money() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.money
}

// AddBagItem puts an item into the first free bag slot.
func (c *Client) AddBagItem(it Item) (bag, slot int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it.Count <= 0 {
		it.Count = 1
	}
	if it.Class == "" {
		it.Class = "Trade Goods"
		if it.Quest {
			it.Class = "Quest"
		}
	}
	for b := range c.bags {
		for s := range c.bags[b] {
			if c.bags[b][s] == nil {
				cp := it
				c.bags[b][s] = &cp
				c.items[it.ID] = Item{ID: it.ID, Name: it.Name, Quality: it.Quality, Class: it.Class, Quest: it.Quest}
				if c.loggedIn {
					c.fire("BAG_UPDATE", lua.LNumber(b))
				}
				return b, s + 1, nil
			}
		}
	}
	return 0, 0, ErrBagsFull
}

// BagItems lists what is in the bags (bag, 1-based slot, item).
func (c *Client) BagItems() []BagSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []BagSlot
	for b := range c.bags {
		for s, it := range c.bags[b] {
			if it != nil {
				out = append(out, BagSlot{Bag: b, Slot: s + 1, Item: *it})
			}
		}
	}
	return out
}

// BagSlot is an occupied bag slot.
type BagSlot struct {
	Bag, Slot int
	Item      Item
}

var itemIDRe = regexp.MustCompile(`item:(\d+)`)

func (c *Client) itemFromArg(s string) (Item, bool) {
	if m := itemIDRe.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	if id, err := strconv.Atoi(s); err == nil {
		it, ok := c.items[id]
		return it, ok
	}
	for _, it := range c.items {
		if it.Name == s {
			return it, true
		}
	}
	return Item{}, false
}

func (c *Client) bagItem(b, s int) *Item {
	if b < 0 || b >= len(c.bags) || s < 1 || s > len(c.bags[b]) {
		return nil
	}
	return c.bags[b][s-1]
}

func (c *Client) locked(b, s int) bool {
	for _, a := range c.attach {
		if a != nil && a.bag == b && a.slot == s {
			return true
		}
	}
	return false
}
