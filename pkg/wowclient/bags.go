package wowclient

// Money and bags.

import (
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
