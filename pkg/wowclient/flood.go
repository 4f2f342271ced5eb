package wowclient

import (
	"fmt"
	"time"
)

// canSpeak is the server's chat flood protection as AzerothCore runs it for every chat
// message but AFK/DND, whispers included (azerothcore/azerothcore-wotlk@57e0c7a
// src/server/game/Handlers/ChatHandler.cpp): first Player::UpdateSpeakTime counts the
// message (:234-235), then a muted sender's message is dropped with the notification
// LANG_WAIT_BEFORE_SPEAKING (:289-294). UpdateSpeakTime (azerothcore-wotlk@e2c07bf
// src/server/game/Entities/Player/PlayerMisc.cpp:15-43, CanSpeak :45-48): a message sent
// before the previous one's whole second plus ChatFlood.MessageDelay (1 s) adds one, the
// ChatFlood.MessageCount-th (10) such message in a row mutes for ChatFlood.MuteTime
// (10 s) — so that tenth message is itself dropped, and flooding on while muted extends
// the mute — and any other message starts the count again at one (defaults 10/1/10:
// worldserver.conf.dist's ChatFlood.* settings). The time is whole seconds (time_t), as
// on the server. A TrinityCore 3.3.5 handler in the code corpus checks the mute before it
// counts, which lets the tenth message through; the stricter order is modelled. The
// addon never sends faster than one message a second, which neither order nor a sliding
// window counts as flooding. Blizzard's own servers are unknown.
func (c *Client) canSpeak(kind string) bool {
	if c.opts.FloodCount < 0 || kind == "AFK" || kind == "DND" {
		return true
	}
	now := c.now.Unix()
	if c.speakTime > now {
		c.speakCount++
		if c.speakCount >= int64(c.opts.FloodCount) {
			if mute := now + int64(c.opts.FloodMute/time.Second); c.muteUntil < mute {
				c.muteUntil = mute
			}
			c.speakCount = 0
		}
	} else {
		c.speakCount = 1
	}
	c.speakTime = now + int64(c.opts.FloodDelay/time.Second)
	if now < c.muteUntil {
		c.dropped++
		left := time.Duration(c.muteUntil-now) * time.Second
		c.notify(fmt.Sprintf(c.gs("LANG_WAIT_BEFORE_SPEAKING"), left.String()))
		return false
	}
	return true
}

// notify is a server notification (SMSG_NOTIFICATION): the client shows it in the
// middle of the screen, not in a chat frame, so it never reaches the chat log.
func (c *Client) notify(text string) {
	c.notes = append(c.notes, text)
}

// Notifications are the server notifications shown so far.
func (c *Client) Notifications() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.notes...)
}

// Muted reports whether the server is refusing the character's chat messages now, and
// DroppedMessages how many it refused so far.
func (c *Client) Muted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Unix() < c.muteUntil
}

// DroppedMessages counts chat messages the server refused because the character was muted.
func (c *Client) DroppedMessages() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}
