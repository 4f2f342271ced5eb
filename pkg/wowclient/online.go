package wowclient

// Who is online on the simulated server, the /who queries sent, and whispers.

import (
	"strings"

	"github.com/mimiron/mgm/pkg/domain"
)

// SetOnline replaces the server's online list with level-80 characters of these names.
func (c *Client) SetOnline(names ...string) {
	ps := make([]Player, 0, len(names))
	for _, n := range names {
		ps = append(ps, Player{Name: n})
	}
	c.SetOnlinePlayers(ps...)
}

// SetOnlinePlayers replaces the server's online list.
func (c *Client) SetOnlinePlayers(ps ...Player) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.online = nil
	for _, p := range ps {
		if p.Level == 0 {
			p.Level = 80
		}
		if p.Race == "" {
			p.Race = "Human"
		}
		if p.Class == "" {
			p.Class = "Warrior"
		}
		if p.Zone == "" {
			p.Zone = "Dalaran"
		}
		if p.Faction == "" {
			p.Faction = c.opts.Faction
		}
		c.online = append(c.online, p)
	}
}

func (c *Client) isOnline(name string) bool {
	if domain.SameName(stripRealm(name), c.opts.Player) {
		return true
	}
	for _, p := range c.online {
		if domain.SameName(stripRealm(name), p.Name) {
			return true
		}
	}
	return false
}

func stripRealm(name string) string {
	if i := strings.IndexByte(name, '-'); i >= 0 {
		return name[:i]
	}
	return name
}

// DropWhoQueries makes the server ignore the next n /who queries (lag, lost packets).
func (c *Client) DropWhoQueries(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.whoDrop = n
}

// WhoQueries are the /who queries sent so far.
func (c *Client) WhoQueries() []WhoQuery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]WhoQuery(nil), c.whoQs...)
}

// Whisper delivers a whisper from a simulated player (CHAT_MSG_WHISPER).
func (c *Client) Whisper(from, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	c.fireChat("CHAT_MSG_WHISPER", text, from)
	return nil
}

// SentWhispers are the whispers the character sent.
func (c *Client) SentWhispers() []Whisper {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Whisper(nil), c.whispers...)
}
