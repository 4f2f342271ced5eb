package wowclient

// The mailbox: opening and closing it, and the mails the server accepted.

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
