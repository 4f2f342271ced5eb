package fakehelix

import (
	"encoding/json"
	"net/http"
	"time"
)

// Post is one chat message request that reached the fake.
type Post struct {
	BroadcasterID string
	SenderID      string
	Message       string
	MessageID     string // set when the message was sent
	IsSent        bool
	DropCode      string
	At            time.Time
}

// Subscription is an EventSub subscription held by the fake.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, caller token) {
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
	var in struct {
		BroadcasterID string `json:"broadcaster_id"`
		SenderID      string `json:"sender_id"`
		Message       string `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.BroadcasterID == "" || in.SenderID == "" || in.Message == "" {
		writeErr(w, http.StatusBadRequest, "Missing required parameter")
		return
	}
	if len(in.Message) > 500 {
		writeErr(w, http.StatusUnprocessableEntity, "The message is too long")
		return
	}
	if caller.userID != "" && caller.userID != in.SenderID {
		writeErr(w, http.StatusForbidden, "The sender must be the user in the OAuth token")
		return
	}
	s.mu.Lock()
	p := Post{BroadcasterID: in.BroadcasterID, SenderID: in.SenderID, Message: in.Message, At: time.Now()}
	var d *drop
	if len(s.drops) > 0 {
		d = &s.drops[0]
		s.drops = s.drops[1:]
		p.DropCode = d.code
	} else {
		p.IsSent = true
		p.MessageID = randomID()
	}
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	item := map[string]any{"message_id": p.MessageID, "is_sent": p.IsSent, "drop_reason": nil}
	if d != nil {
		item["drop_reason"] = map[string]string{"code": d.code, "message": d.message}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{item}})
}
