package app

// What the window shows: one snapshot of the whole state (State), served to it by desktop/ui.

import (
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/events"
)

// PayoutView is a payout as the window lists it.
type PayoutView struct {
	events.Payout
	Accepted bool `json:"accepted"`
	Notified bool `json:"notified"` // the consent whisper was typed
}

// State is everything the window shows.
type State struct {
	WoW         Status            `json:"wow"`
	API         Status            `json:"api"`
	Log         Status            `json:"log"`
	Bridge      Status            `json:"bridge"`
	Pairing     Status            `json:"pairing"`
	Refused     int               `json:"refused"` // tag lines refused since start (auth.go)
	Payouts     []PayoutView      `json:"payouts"`
	Candidate   *events.Candidate `json:"candidate"`
	Undelivered []journal.Record  `json:"undelivered"`
	Events      []Event           `json:"events"`
	Settings    settings.Settings `json:"settings"`
	APIKeySet   bool              `json:"apiKeySet"`
	Injector    string            `json:"injector"`
	// Clients are the game clients to choose from when several run (inject.Chooser).
	Clients    []GameClient     `json:"clients,omitempty"`
	Gifts      []GiftView       `json:"gifts"`
	GiftStatus Status           `json:"giftStatus"`
	GiftAlerts []GiftAlert      `json:"giftAlerts"`
	Recent     []journal.Record `json:"recentTags"`
	// Game is the typing loop's view of the game: missing, probing (found, no answer to
	// the self-test key yet in this game session) or live; Commands are the commands not
	// yet acknowledged by the addon and the failed ones (docs/product.md §9).
	Game     string         `json:"game"`
	Commands []CommandView  `json:"commands"`
	Extra    map[string]any `json:"extra,omitempty"`
}

// State is a snapshot for the window.
func (a *App) State() State {
	undelivered, _ := a.j.Pending()
	recent, _ := a.j.Recent(20)
	alerts := a.giftAlerts()
	cmds := a.commandViews()
	a.mu.Lock()
	gifts := append([]events.GiftRequest(nil), a.gifts...)
	a.mu.Unlock()
	views := a.giftViews(gifts)
	a.mu.Lock()
	defer a.mu.Unlock()
	st := State{
		WoW: a.wow, API: a.apiStat, Log: a.logStat, Bridge: a.bridge, Pairing: a.pairStat, Refused: a.refused,
		Candidate: a.candidate, Undelivered: undelivered, Recent: recent,
		Settings: a.set, APIKeySet: a.key != "", Injector: a.q.Injector().Name(),
		Payouts: []PayoutView{}, Events: []Event{}, Clients: a.clients,
		Gifts: views, GiftStatus: a.giftStat, GiftAlerts: alerts,
		Game: a.game.state, Commands: cmds,
	}
	if st.Game == "" {
		st.Game = gameMissing
	}
	for _, p := range a.payouts {
		notified, _ := a.j.Typed("notify", p.ID)
		st.Payouts = append(st.Payouts, PayoutView{Payout: p, Accepted: p.AcceptedAt != nil, Notified: notified})
	}
	for i := len(a.events) - 1; i >= 0 && len(st.Events) < 100; i-- {
		st.Events = append(st.Events, a.events[i])
	}
	return st
}
