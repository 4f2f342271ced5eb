package wowclient

// The mailbox: opening and closing it, the server side of SendMail, and the mails the
// server accepted.

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/mimiron/mgm/pkg/domain"
)

// SentMails are the mails the server accepted.
func (c *Client) SentMails() []Mail {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Mail(nil), c.mails...)
}

// FailNextMail makes the next SendMail fail with MAIL_FAILED (and UI_ERROR_MESSAGE reason).
func (c *Client) FailNextMail(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if reason == "" {
		reason = "Internal mail database error."
	}
	c.failMail = reason
}

// OpenMailbox is right-clicking a mailbox: MAIL_SHOW.
func (c *Client) OpenMailbox() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	if !c.mailOpen {
		c.mailOpen = true
		c.fire("MAIL_SHOW")
	}
	return nil
}

// CloseMailbox is walking away from the mailbox: MAIL_CLOSED; attachments go back to the bags.
func (c *Client) CloseMailbox() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	if c.mailOpen {
		c.mailOpen = false
		c.returnAttachments()
		c.fire("MAIL_CLOSED")
	}
	return nil
}

func (c *Client) returnAttachments() {
	for i := range c.attach {
		c.attach[i] = nil
	}
	c.sendMoney, c.sendCOD = 0, 0
}

func (c *Client) uiError(msg string) {
	c.fire("UI_ERROR_MESSAGE", lua.LString(msg))
}

// sendMail is the server side of SendMail, after AzerothCore's (3.3.5)
// WorldSession::HandleSendMail (azerothcore/azerothcore-wotlk@02453dd
// src/server/game/Handlers/MailHandler.cpp:64-; TrinityCore's is the same in these points):
//   - some mails are refused without any answer — no MAIL_SEND_SUCCESS, no MAIL_FAILED:
//     the "return;" after a subject holding "| |" ("prevent client crash", :77-81; the
//     server tests the body before it has read it, so only the subject counts there —
//     the body is tested here too, the stricter choice), an empty recipient or a mailbox
//     out of reach (CanOpenMailBox, :112-116), a sender under the mail level (a
//     SendNotification only, :126-130). DropNextMail makes the next one such a mail;
//   - postage is 30 copper per attached item, 30 without ("price hardcoded in client",
//     :162); at most MAX_MAIL_ITEMS (12) attachments (:91-96; the client's own limit is
//     ATTACHMENTS_MAX_SEND = 12, FrameXML/MailFrame.lua:6);
//   - the other faction is refused (MAIL_ERR_NOT_YOUR_TEAM, :223-227) unless it is the
//     same account;
//   - an item that cannot be traded (soulbound, quest: CanBeTraded, :255-259), conjured,
//     or with a duration (ITEM_FIELD_DURATION, :267-271) is refused (MAIL_ERR_EQUIP_ERROR
//     / EQUIP_ERR_MAIL_BOUND_ITEM);
//   - items to a character of another account arrive after MailDeliveryDelay (3600 s by
//     default: needItemDelay :348-349, "If theres is an item, there is a one hour
//     delivery delay if sent to another account's character" :360-361); money arrives
//     at once.
//
// The answer comes MailLatency later. The server acts on the mail whatever the UI does
// meanwhile, but its answer only reaches the UI session that sent it: after a /reload or
// relog in the latency window neither MAIL_SEND_SUCCESS nor MAIL_FAILED is seen.
func (c *Client) sendMail(to, subject, body string) {
	if !c.mailOpen {
		return
	}
	to = strings.TrimSpace(to)
	if to == "" {
		return // HandleSendMail: if (receiver.empty()) return;
	}
	if subject == "" {
		c.uiError("Please enter a subject.")
		return
	}
	var items []Item
	var refs []bagRef
	for _, a := range c.attach {
		if a != nil {
			items = append(items, *c.bagItem(a.bag, a.slot))
			refs = append(refs, *a)
		}
	}
	if c.dropMail > 0 || strings.Contains(subject, "| |") || strings.Contains(body, "| |") {
		if c.dropMail > 0 {
			c.dropMail--
		}
		c.silentMails++
		return
	}
	money := c.sendMoney
	postage := int64(30 * max(1, len(items)))
	fail := c.failMail
	c.failMail = ""
	recipient := c.player(stripRealm(to))
	switch {
	case domain.SameName(stripRealm(to), c.opts.Player):
		fail = c.gs("ERR_MAIL_TO_SELF")
	case money+postage > c.money:
		fail = c.gs("ERR_NOT_ENOUGH_MONEY")
	case recipient != nil && recipient.Faction != c.opts.Faction && !c.sameAccount(to):
		fail = c.gs("ERR_MAIL_DATABASE_ERROR") // MAIL_ERR_NOT_YOUR_TEAM; its text is unknown here
	}
	if fail == "" {
		for _, it := range items {
			if it.Soulbound || it.Quest || it.Conjured || it.Duration > 0 {
				fail = c.gs("ERR_MAIL_BOUND_ITEM")
			}
		}
	}
	deliver := c.now
	if len(items) > 0 && !c.sameAccount(to) {
		deliver = deliver.Add(c.opts.MailDeliveryDelay)
	}
	session := c.session
	c.after(c.opts.MailLatency, func() {
		same := c.loggedIn && c.session == session
		if fail != "" {
			if same {
				c.uiError(fail)
				c.fire("MAIL_FAILED")
			}
			return
		}
		c.money -= money + postage
		for _, r := range refs {
			c.bags[r.bag][r.slot-1] = nil
		}
		if same {
			c.returnAttachments()
		}
		c.mails = append(c.mails, Mail{To: to, Subject: subject, Body: body, Copper: money, Items: items, At: c.now, DeliverAt: deliver.Add(c.opts.MailLatency)})
		if same {
			c.fire("MAIL_SEND_SUCCESS")
		}
	})
}

// player is the online player of that name, nil when offline.
func (c *Client) player(name string) *Player {
	for i := range c.online {
		if domain.SameName(c.online[i].Name, name) {
			return &c.online[i]
		}
	}
	return nil
}

func (c *Client) sameAccount(name string) bool {
	for _, n := range c.opts.SameAccount {
		if domain.SameName(n, stripRealm(name)) {
			return true
		}
	}
	return false
}

// DropNextMail makes the server refuse the next SendMail without any answer.
func (c *Client) DropNextMail() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropMail++
}

// SilentMails counts mails the server refused without an answer.
func (c *Client) SilentMails() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.silentMails
}
