package helix

import (
	"context"
	"errors"
	"time"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

// ValidateEvery is how often user tokens are validated: "at least hourly"
// (https://dev.twitch.tv/docs/authentication/validate-tokens/ — Twitch audits
// applications that do not).
const ValidateEvery = time.Hour

// AccountStatus is what the client knows of one account's token.
type AccountStatus struct {
	Role        oauth.Role
	Source      string // "environment", "token store", or "" when there is no account
	UserID      string
	Login       string
	Scopes      []string
	ExpiresIn   time.Duration
	ValidatedAt time.Time
	Err         error // why the token cannot be used (nil when it can)
}

// Account is the scope-check view of s (nil when the account is missing or unusable).
func (s AccountStatus) Account() *oauth.Account {
	if s.Source == "" || s.Err != nil {
		return nil
	}
	return &oauth.Account{UserID: s.UserID, Login: s.Login, Scopes: s.Scopes}
}

// validateToken asks /oauth2/validate about tok once for every concurrent caller, and
// records the answer.
func (c *Client) validateToken(ctx context.Context, role oauth.Role, src UserTokens, tok string) (oauth.Validation, error) {
	v, err, _ := c.validate.Do(tok, func() (any, error) {
		c.metrics.Validations.Add(1)
		v, err := c.oauth.Validate(ctx, tok)
		if err != nil {
			if errors.Is(err, oauth.ErrInvalidToken) {
				c.metrics.ValidationRefused.Add(1)
			}
			return oauth.Validation{}, err
		}
		if v.ClientID != "" && v.ClientID != c.clientID {
			return oauth.Validation{}, errs.E(errs.Unauthorized, "the twitch %s token belongs to another application (client id %s): log in again with this one", role, v.ClientID)
		}
		src.Validated(ctx, tok, v)
		c.mu.Lock()
		c.accounts[role] = AccountStatus{Role: role, Source: src.Source(), UserID: v.UserID, Login: v.Login,
			Scopes: v.Scopes, ExpiresIn: v.ExpiresIn, ValidatedAt: c.now()}
		c.mu.Unlock()
		return v, nil
	})
	if err != nil {
		return oauth.Validation{}, err
	}
	return v.(oauth.Validation), nil
}

// Validate checks every account's token with /oauth2/validate now — renewing one Twitch
// says is invalid — and reports each: its user, scopes and remaining life, or why it
// cannot be used. Broadcaster first, then the bot (when there is one).
func (c *Client) Validate(ctx context.Context) []AccountStatus {
	var out []AccountStatus
	for _, role := range []oauth.Role{oauth.Broadcaster, oauth.Bot} {
		src := c.users[role]
		if !c.has(ctx, role) {
			if role == oauth.Broadcaster {
				out = append(out, AccountStatus{Role: role, Err: errs.E(errs.Unauthorized, "no twitch broadcaster account: log in with `mgm twitch login`")})
			}
			continue
		}
		out = append(out, c.validateRole(ctx, role, src))
	}
	return out
}

func (c *Client) validateRole(ctx context.Context, role oauth.Role, src UserTokens) AccountStatus {
	fail := func(err error) AccountStatus {
		st := AccountStatus{Role: role, Source: src.Source(), Err: err}
		c.mu.Lock()
		c.accounts[role] = st
		c.mu.Unlock()
		return st
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return fail(err)
	}
	if _, err := c.validateToken(ctx, role, src, tok); err != nil {
		if !errors.Is(err, oauth.ErrInvalidToken) {
			return fail(err)
		}
		if _, err := src.Renew(ctx, tok); err != nil {
			c.metrics.RenewalsRefused.Add(1)
			return fail(err)
		}
		c.metrics.Renewals.Add(1)
		if tok, err = src.Token(ctx); err != nil {
			return fail(err)
		}
		if _, err := c.validateToken(ctx, role, src, tok); err != nil {
			return fail(err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accounts[role]
}

// KeepValidated validates at once and then every interval (ValidateEvery in
// production) until ctx ends, handing each round's result to report (which logs it,
// and says which feature lacks what).
func (c *Client) KeepValidated(ctx context.Context, every time.Duration, report func([]AccountStatus)) {
	for {
		report(c.Validate(ctx))
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Accounts is what the last validation said of each account (no request).
func (c *Client) Accounts() []AccountStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []AccountStatus
	for _, role := range []oauth.Role{oauth.Broadcaster, oauth.Bot} {
		if st, ok := c.accounts[role]; ok {
			out = append(out, st)
		}
	}
	return out
}

// SenderID is the user id of the account that reads chat and signs the announcement
// (the bot, else the broadcaster), as /oauth2/validate reports it for its token:
// Send Chat Message's sender_id "must match the user ID in the user access token", and
// with an app token it must be a user who authorised the application
// (https://dev.twitch.tv/docs/api/reference/#send-chat-message). Validates when no
// validation is on record.
func (c *Client) SenderID(ctx context.Context) (string, error) {
	role := c.chatRole(ctx)
	c.mu.Lock()
	st, ok := c.accounts[role]
	c.mu.Unlock()
	if ok && st.Err == nil && st.UserID != "" {
		return st.UserID, nil
	}
	src := c.users[role]
	if src == nil {
		return "", errs.E(errs.Unauthorized, "no twitch %s account: log in with `mgm twitch login`", role)
	}
	st = c.validateRole(ctx, role, src)
	if st.Err != nil {
		return "", st.Err
	}
	return st.UserID, nil
}
