package fakehelix

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// Post is one chat message request that reached the fake.
type Post struct {
	BroadcasterID string
	SenderID      string
	Message       string
	MessageID     string // set when the message was sent
	IsSent        bool
	DropCode      string
	AppToken      bool     // posted with an app access token
	Channels      []string // the chats the message appeared in (more than one in Shared Chat)
	At            time.Time
}

// MaxChatMessage is Send Chat Message's limit: "The message is limited to a maximum of
// 500 characters" (https://dev.twitch.tv/docs/api/reference/#send-chat-message).
// Characters, not bytes: 300 Cyrillic letters are 600 bytes and fit. Counted as Unicode
// code points (unknown whether Twitch counts a character outside the Basic Multilingual
// Plane, such as an emoji, as one or two).
const MaxChatMessage = 500

// handleChat is POST /helix/chat/messages
// (https://dev.twitch.tv/docs/api/reference/#send-chat-message).
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, caller token) {
	var in struct {
		BroadcasterID string `json:"broadcaster_id"`
		SenderID      string `json:"sender_id"`
		Message       string `json:"message"`
		ForSourceOnly *bool  `json:"for_source_only"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "Malformed request body")
		return
	}
	// The body is read before the hang: Go's server notices a client that hangs up
	// (and cancels r.Context()) only once the request body has been consumed, and a
	// caller that gives up must leave no post behind.
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
			return
		}
		if r.Context().Err() != nil {
			return
		}
	}
	for _, p := range []struct{ name, v string }{{"broadcaster_id", in.BroadcasterID}, {"sender_id", in.SenderID}, {"message", in.Message}} {
		if p.v == "" {
			writeErr(w, http.StatusBadRequest, fmt.Sprintf("Missing required parameter %q", p.name))
			return
		}
	}
	if utf8.RuneCountInString(in.Message) > MaxChatMessage {
		// Status of an over-long message: 422 "The message is too large" as
		// remembered from the reference page (unknown; a refusal either way).
		writeErr(w, http.StatusUnprocessableEntity, "The message is too large")
		return
	}
	app := caller.userID == ""
	s.mu.Lock()
	if app {
		// "Requires an app access token or user access token that includes the
		// user:write:chat scope. If app access token used, then additionally requires
		// user:bot scope from chatting user, and either channel:bot scope from
		// broadcaster or moderator status"
		// (https://dev.twitch.tv/docs/chat/send-receive-messages/,
		// https://dev.twitch.tv/docs/api/reference/#send-chat-message). The sender must
		// have authorised this application; whether being the broadcaster stands in for
		// channel:bot is unknown, so the fake asks the broadcaster for channel:bot too.
		if !s.hasScopesLocked(in.SenderID, "user:write:chat", "user:bot") {
			s.mu.Unlock()
			writeErr(w, http.StatusUnauthorized, "The sender must authorize the app with the user:write:chat and user:bot scopes to send chat messages with an app access token")
			return
		}
		if !s.hasScopesLocked(in.BroadcasterID, "channel:bot") && !s.isModeratorLocked(in.BroadcasterID, in.SenderID) {
			s.mu.Unlock()
			writeErr(w, http.StatusForbidden, "The sender is not permitted to send chat messages to the broadcaster's chat room")
			return
		}
	} else {
		s.mu.Unlock()
		if in.ForSourceOnly != nil {
			// for_source_only "can only be set when utilizing an App Access Token. It
			// cannot be specified when a User Access Token is used, and will instead
			// result in an HTTP 400 error"
			// (https://dev.twitch.tv/docs/api/reference/#send-chat-message).
			writeErr(w, http.StatusBadRequest, "for_source_only can only be set with an app access token")
			return
		}
		if !hasAll(caller.scopes, "user:write:chat") {
			missingScope(w, "user:write:chat")
			return
		}
		// "This ID must match the user ID in the user access token."
		if caller.userID != in.SenderID {
			writeErr(w, http.StatusUnauthorized, "The sender_id in the body must match the user ID in the user access token")
			return
		}
		s.mu.Lock()
	}
	p := Post{BroadcasterID: in.BroadcasterID, SenderID: in.SenderID, Message: in.Message, AppToken: app, At: s.now()}
	// Shared Chat: a message sent during a session appears in every channel of it,
	// unless an app token set for_source_only
	// (https://dev.twitch.tv/docs/api/reference/#send-chat-message; its default when an
	// app token leaves it out is documented to change, so the fake treats an absent
	// value as false — the stricter reading for a client that wants the source only).
	p.Channels = []string{in.BroadcasterID}
	if !(app && in.ForSourceOnly != nil && *in.ForSourceOnly) {
		p.Channels = append(p.Channels, s.shared[in.BroadcasterID]...)
	}
	var d *drop
	if len(s.drops) > 0 {
		d = &s.drops[0]
		s.drops = s.drops[1:]
		p.DropCode = d.code
	} else {
		p.IsSent = true
		p.MessageID = randomUUID()
	}
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	item := map[string]any{"message_id": p.MessageID, "is_sent": p.IsSent, "drop_reason": nil}
	if d != nil {
		item["drop_reason"] = map[string]string{"code": d.code, "message": d.message}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{item}})
}
