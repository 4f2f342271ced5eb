package wowclient

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Other is another player near the streamer's character: whatever they say, yell,
// whisper or write in a channel, the guild or the party reaches the streamer's client as
// the chat event the real server sends, and ChatFrame1 shows it — so it lands in
// WoWChatLog.txt next to the addon's own lines (docs/product.md §9 "Only the streamer's
// own client may speak"). Tests use it to forge tags through every channel.
//
// The name is not checked: a real name is 2–12 letters, but an emulation that lets a
// player be called "MGM_CONFIRM:<id>" is the stricter one for a log reader. The text is
// not checked either, and a line break in it is written to the log as it is, so a player
// may write a whole line of their choosing into the streamer's log. That is stricter than
// the servers we could read: AzerothCore cuts a chat message at its first line break and
// refuses one holding any other control character
// (azerothcore/azerothcore-wotlk@57e0c7a src/server/game/Handlers/ChatHandler.cpp
// isNasty and HandleMessagechatOpcode, "cut at the first newline or carriage return"),
// and a TrinityCore version of the same handler does the same; what Blizzard's own 3.3.5 servers and older
// private-server cores did is unknown, and so is whether the client would escape a line
// break in its log.
type Other struct {
	c    *Client
	Name string
}

// Other returns another player called name.
func (c *Client) Other(name string) *Other { return &Other{c: c, Name: name} }

// The arguments of a chat event: tekkub/wow-ui-source@3.3.5 FrameXML/ChatFrame.lua
// ChatFrame_MessageEventHandler reads arg1 text, arg2 sender, arg3 language, arg4 the
// channel's full name with its number ("5. Name"), arg6 flags, arg8 the channel number,
// arg9 the channel's base name, arg11 the line id; https://wowprogramming.com/docs/events/CHAT_MSG_WHISPER.html
// lists the same order.
func (o *Other) event(event, text, channel string, number int) error {
	c := o.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	c.seq++
	full := ""
	if channel != "" {
		full = fmt.Sprintf("%d. %s", number, channel)
	}
	c.fire(event, lua.LString(text), lua.LString(o.Name), lua.LString(""), lua.LString(full), lua.LString(""),
		lua.LString(""), lua.LNumber(0), lua.LNumber(number), lua.LString(channel), lua.LNumber(0), lua.LNumber(c.seq), lua.LString(""))
	return nil
}

// Say is /say within earshot (CHAT_MSG_SAY).
func (o *Other) Say(text string) error { return o.event("CHAT_MSG_SAY", text, "", 0) }

// Yell is /yell (CHAT_MSG_YELL).
func (o *Other) Yell(text string) error { return o.event("CHAT_MSG_YELL", text, "", 0) }

// Emote is a custom /emote (CHAT_MSG_EMOTE).
func (o *Other) Emote(text string) error { return o.event("CHAT_MSG_EMOTE", text, "", 0) }

// Guild writes in the guild chat the streamer is in (CHAT_MSG_GUILD).
func (o *Other) Guild(text string) error { return o.event("CHAT_MSG_GUILD", text, "", 0) }

// Party writes in the streamer's party (CHAT_MSG_PARTY).
func (o *Other) Party(text string) error { return o.event("CHAT_MSG_PARTY", text, "", 0) }

// Channel writes in a chat channel the streamer has joined as number (CHAT_MSG_CHANNEL);
// a custom channel may have any name, "MGM_WHO" included.
func (o *Other) Channel(number int, channel, text string) error {
	return o.event("CHAT_MSG_CHANNEL", text, channel, number)
}

// Whisper whispers the streamer (CHAT_MSG_WHISPER).
func (o *Other) Whisper(text string) error { return o.event("CHAT_MSG_WHISPER", text, "", 0) }

// chatLine is how ChatFrame1 shows a chat event from a player, hyperlinks left out (as
// the existing whisper lines are): the format strings of
// tekkub/wow-ui-source@3.3.5 FrameXML/GlobalStrings.lua — CHAT_SAY_GET "%s says: " (1570),
// CHAT_YELL_GET "%s yells: " (1607), CHAT_GUILD_GET "[Guild] %s: " (1436),
// CHAT_PARTY_GET "[Party] %s: " (1536), CHAT_EMOTE_GET "%s " (1428) — with the sender as
// "[Name]" (ChatFrame.lua:2917; "Name" without brackets for an emote, 2913) and a
// channel's "[N. Name] " in front (ChatFrame.lua:2927). ok is false for the events this
// file does not emulate.
func chatLine(event, text, sender, channel string) (string, bool) {
	switch event {
	case "CHAT_MSG_YELL":
		return fmt.Sprintf("[%s] yells: %s", sender, text), true
	case "CHAT_MSG_GUILD":
		return fmt.Sprintf("[Guild] [%s]: %s", sender, text), true
	case "CHAT_MSG_PARTY":
		return fmt.Sprintf("[Party] [%s]: %s", sender, text), true
	case "CHAT_MSG_EMOTE":
		return fmt.Sprintf("%s %s", sender, text), true
	case "CHAT_MSG_CHANNEL":
		return fmt.Sprintf("[%s] [%s]: %s", channel, sender, text), true
	}
	return "", false
}
