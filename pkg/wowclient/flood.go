package wowclient

import (
	"fmt"
	"time"
)

// canSpeak is the server's chat flood protection, as TrinityCore 3.3.5's
// WorldSession::HandleMessagechatOpcode (src/server/game/Handlers/ChatHandler.cpp) runs it
// for every chat message but AFK/DND, whispers included: a muted sender gets the
// notification LANG_WAIT_BEFORE_SPEAKING and the message is dropped (CanSpeak);
// otherwise Player::UpdateSpeakTime counts it — a message sent before the previous one's
// whole second plus ChatFlood.MessageDelay (1 s) adds one, the ChatFlood.MessageCount-th
// (10) such message in a row mutes for ChatFlood.MuteTime (10 s), any other starts the
// count again at one (src/server/game/Entities/Player/Player.cpp UpdateSpeakTime; code
// corpus file ids 70029123, 54612953236 show the same rule; defaults from
// worldserver.conf.dist). The time is whole seconds (time_t), as on the server. Blizzard's
// own servers are unknown; the addon keeps to at most one message a second, which no
// variant of this rule (whole seconds or a sliding window) counts as flooding.
func (c *Client) canSpeak(kind string) bool {
	if c.opts.FloodCount < 0 || kind == "AFK" || kind == "DND" {
		return true
	}
	now := c.now.Unix()
	if now < c.muteUntil {
		c.dropped++
		left := time.Duration(c.muteUntil-now) * time.Second
		c.notify(fmt.Sprintf(c.gs("LANG_WAIT_BEFORE_SPEAKING"), left.String()))
		return false
	}
	if c.speakTime > now {
		c.speakCount++
		if c.speakCount >= int64(c.opts.FloodCount) {
			c.muteUntil = now + int64(c.opts.FloodMute/time.Second)
			c.speakCount = 0
		}
	} else {
		c.speakCount = 1
	}
	c.speakTime = now + int64(c.opts.FloodDelay/time.Second)
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
