// Package account is what `mgm twitch login|status|logout` do (docs/product.md §12):
// log the broadcaster's account and, optionally, a bot account in with the device code
// flow and store the grant; show each account's scopes, expiry and problems and what
// each feature lacks; revoke and forget a grant. The commands only print what this
// package returns.
package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
	"github.com/mimiron/mgm/pkg/twitch/tokenstore"
)

// Manager logs accounts in and out.
type Manager struct {
	Config config.Config
	OAuth  *oauth.Client
	Store  *tokenstore.Store
	Now    func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// ParseRole reads "broadcaster" or "bot".
func ParseRole(s string) (oauth.Role, error) {
	switch r := oauth.Role(strings.ToLower(strings.TrimSpace(s))); r {
	case oauth.Broadcaster, oauth.Bot:
		return r, nil
	}
	return "", fmt.Errorf("unknown account %q: want broadcaster or bot", s)
}

// Login runs the device code flow for role: it prints the address and the code, waits
// for the user, checks who logged in (the broadcaster's account must be
// TWITCH_BROADCASTER_ID when that is set) and stores the grant.
func (m *Manager) Login(ctx context.Context, role oauth.Role, out io.Writer) (tokenstore.Grant, error) {
	if !m.Store.HasKey() {
		return tokenstore.Grant{}, fmt.Errorf("tokens are stored encrypted: set MGM_TOKEN_KEY first (for example: export MGM_TOKEN_KEY=%s) and keep it with the deployment's other secrets", tokenstore.NewKey())
	}
	scopes := oauth.LoginScopes(role)
	d, err := m.OAuth.StartDevice(ctx, scopes)
	if err != nil {
		return tokenstore.Grant{}, fmt.Errorf("start the Twitch login: %w", err)
	}
	who := "the channel's own account"
	if role == oauth.Bot {
		who = "the bot account (a separate Twitch account that reads chat and signs the announcement)"
	}
	fmt.Fprintf(out, "Log in to Twitch as %s:\n\n    open  %s\n    code  %s\n\n", who, d.VerificationURI, d.UserCode)
	fmt.Fprintf(out, "It asks for: %s. The code works for %d minutes; waiting…\n", strings.Join(scopes, ", "), int(time.Until(d.ExpiresAt).Round(time.Minute).Minutes()))
	tok, err := m.OAuth.Wait(ctx, d)
	switch {
	case errors.Is(err, oauth.ErrDenied):
		return tokenstore.Grant{}, fmt.Errorf("the login was refused on Twitch; nothing was stored")
	case errors.Is(err, oauth.ErrExpired):
		return tokenstore.Grant{}, fmt.Errorf("the code expired before it was approved; run the login again")
	case err != nil:
		return tokenstore.Grant{}, fmt.Errorf("Twitch login: %w", err)
	}
	v, err := m.OAuth.Validate(ctx, tok.Access)
	if err != nil {
		return tokenstore.Grant{}, fmt.Errorf("check the new token: %w", err)
	}
	if role == oauth.Broadcaster && m.Config.BroadcasterID != "" && v.UserID != m.Config.BroadcasterID {
		_ = m.OAuth.Revoke(ctx, tok.Access)
		return tokenstore.Grant{}, fmt.Errorf("that was %s (user id %s), but TWITCH_BROADCASTER_ID is %s: log in with the channel's own account; the token was revoked", v.Login, v.UserID, m.Config.BroadcasterID)
	}
	if role == oauth.Bot && v.UserID == m.Config.BroadcasterID && v.UserID != "" {
		fmt.Fprintf(out, "Note: that is the broadcaster's own account; a bot account is optional — without one the broadcaster's account reads and posts.\n")
	}
	g, err := m.Store.Save(ctx, tokenstore.Grant{Role: role, UserID: v.UserID, Login: v.Login, Access: tok.Access, Refresh: tok.Refresh,
		Scopes: v.Scopes, ExpiresAt: m.now().Add(v.ExpiresIn), ValidatedAt: m.now()})
	if err != nil {
		return tokenstore.Grant{}, fmt.Errorf("store the grant: %w", err)
	}
	fmt.Fprintf(out, "Logged in as %s (user id %s) with %s. Stored encrypted; every service uses it from now on.\n", v.Login, v.UserID, strings.Join(v.Scopes, ", "))
	if missing := scopesMissing(scopes, v.Scopes); len(missing) > 0 {
		fmt.Fprintf(out, "Twitch did not grant %s; see `mgm twitch status`.\n", strings.Join(missing, ", "))
	}
	return g, nil
}

func scopesMissing(want, have []string) []string {
	var out []string
	for _, s := range want {
		if !slices.Contains(have, s) {
			out = append(out, s)
		}
	}
	return out
}

// Logout revokes role's stored tokens on Twitch and forgets them. A token Twitch no
// longer knows counts as revoked.
func (m *Manager) Logout(ctx context.Context, role oauth.Role, out io.Writer) error {
	g, err := m.Store.Get(ctx, role)
	if errors.Is(err, tokenstore.ErrNotLoggedIn) {
		fmt.Fprintf(out, "no %s account is stored\n", role)
		return nil
	}
	if err != nil {
		return err
	}
	// Revoking the access token (https://dev.twitch.tv/docs/authentication/revoke-tokens/);
	// the refresh token is revoked too in case Twitch keeps it alive.
	if err := m.OAuth.Revoke(ctx, g.Access); err != nil && errs.CodeOf(err) == errs.Unavailable {
		return fmt.Errorf("Twitch did not answer; nothing was forgotten, try again: %w", err)
	}
	_ = m.OAuth.Revoke(ctx, g.Refresh)
	if err := m.Store.Delete(ctx, role); err != nil {
		return err
	}
	fmt.Fprintf(out, "logged out the %s account %s (user id %s): its tokens are revoked and forgotten\n", role, g.Login, g.UserID)
	if role == oauth.Broadcaster && (m.Config.BroadcasterToken != "" || m.Config.BroadcasterRefresh != "") ||
		role == oauth.Bot && (m.Config.SenderToken != "" || m.Config.SenderRefresh != "") {
		fmt.Fprintf(out, "note: a %s token is still set in the environment and is used instead\n", role)
	}
	return nil
}

// AccountView is one account as status shows it.
type AccountView struct {
	Role        oauth.Role
	Source      string // "environment", "token store" or "" (none)
	UserID      string
	Login       string
	Scopes      []string
	ExpiresAt   time.Time
	ValidatedAt time.Time
	Problem     string
}

// Report is what status prints.
type Report struct {
	Accounts  []AccountView
	Transport string
	Gaps      []oauth.Gap
}

// Status gathers the accounts (environment tokens validated live, stored grants as the
// services last validated them, or live when live is set) and what each feature lacks.
func (m *Manager) Status(ctx context.Context, live bool) (Report, error) {
	r := Report{Transport: m.Config.EventSubTransport}
	accounts := map[oauth.Role]*oauth.Account{}
	for _, role := range []oauth.Role{oauth.Broadcaster, oauth.Bot} {
		env := m.Config.BroadcasterToken
		envRefresh := m.Config.BroadcasterRefresh
		if role == oauth.Bot {
			env, envRefresh = m.Config.SenderToken, m.Config.SenderRefresh
		}
		var v AccountView
		switch {
		case env != "" || envRefresh != "":
			v = AccountView{Role: role, Source: "environment"}
			if env == "" {
				v.Problem = "only a refresh token is set; the services renew it at start"
			} else if val, err := m.OAuth.Validate(ctx, env); err != nil {
				v.Problem = problemOf(err)
			} else {
				v.UserID, v.Login, v.Scopes, v.ExpiresAt, v.ValidatedAt = val.UserID, val.Login, val.Scopes, m.now().Add(val.ExpiresIn), m.now()
			}
		default:
			g, err := m.Store.Get(ctx, role)
			if errors.Is(err, tokenstore.ErrNotLoggedIn) {
				r.Accounts = append(r.Accounts, AccountView{Role: role})
				continue
			}
			if err != nil {
				return Report{}, err
			}
			v = AccountView{Role: role, Source: "token store", UserID: g.UserID, Login: g.Login, Scopes: g.Scopes,
				ExpiresAt: g.ExpiresAt, ValidatedAt: g.ValidatedAt, Problem: g.Problem}
			if live && g.Problem == "" {
				if val, err := m.OAuth.Validate(ctx, g.Access); err != nil {
					if errors.Is(err, oauth.ErrInvalidToken) {
						v.Problem = "the stored access token is no longer valid; the services renew it with the refresh token"
					} else {
						v.Problem = problemOf(err)
					}
				} else {
					v.Scopes, v.ExpiresAt, v.ValidatedAt = val.Scopes, m.now().Add(val.ExpiresIn), m.now()
					_ = m.Store.Validated(ctx, role, g.Access, val)
				}
			}
		}
		r.Accounts = append(r.Accounts, v)
		if v.Problem == "" || strings.HasPrefix(v.Problem, "the stored access token") || strings.HasPrefix(v.Problem, "only a refresh") {
			accounts[role] = &oauth.Account{UserID: v.UserID, Login: v.Login, Scopes: v.Scopes}
		}
	}
	features := []oauth.Feature{oauth.Announcements, oauth.SubscriberCheck}
	if m.Config.EventSubTransport == "websocket" {
		features = append(features, oauth.ChatWebSocket)
	} else {
		features = append(features, oauth.ChatWebhook)
	}
	r.Gaps = oauth.Check(accounts[oauth.Broadcaster], accounts[oauth.Bot], features...)
	return r, nil
}

func problemOf(err error) string {
	switch {
	case errors.Is(err, oauth.ErrInvalidToken):
		return "Twitch says the token is not valid: log in again"
	case errors.Is(err, oauth.ErrBadClient):
		return "Twitch refused the application's client id or secret (TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET)"
	default:
		return errs.Public(err).Message
	}
}

// Print writes r for people.
func (r Report) Print(out io.Writer, now time.Time) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tFROM\tUSER\tSCOPES\tEXPIRES\tVALIDATED\tPROBLEM")
	for _, a := range r.Accounts {
		if a.Source == "" {
			note := "not logged in"
			if a.Role == oauth.Bot {
				note = "none (optional: the broadcaster's account reads and posts)"
			}
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\n", a.Role, note)
			continue
		}
		user := "-"
		if a.UserID != "" {
			user = a.Login + " (" + a.UserID + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Role, a.Source, user, orDash(strings.Join(a.Scopes, " ")),
			when(a.ExpiresAt, now), when(a.ValidatedAt, now), orDash(a.Problem))
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nchat transport: %s\n", r.Transport)
	if len(r.Gaps) == 0 {
		fmt.Fprintln(out, "every feature has the scopes it needs (announcements, subscriber check, chat)")
		return
	}
	fmt.Fprintln(out, "missing:")
	for _, g := range r.Gaps {
		fmt.Fprintf(out, "  - %s\n", g)
	}
	fmt.Fprintln(out, "log in again with `mgm twitch login` (and `mgm twitch login -account bot` for the bot) to grant them")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(now).Round(time.Minute)
	if d >= 0 {
		return "in " + d.String()
	}
	return (-d).String() + " ago"
}
