package app

// What the window shows of the gifts: the requests with their positions and item lists,
// and the gift tags the backend refused for good.

import (
	"time"

	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

// GiftView is a gift request as the window shows it.
type GiftView struct {
	events.GiftRequest
	// Position is 1 for the request being served, then one more per request ahead.
	Position int `json:"position"`
	// Items is the list the addon printed ([MGM_ITEMS]), else the one the backend holds;
	// ItemsSeen says whether any list arrived (an empty one included).
	Items     []events.GiftItem `json:"items"`
	ItemsSeen bool              `json:"itemsSeen"`
	// ItemsAsked and ConsentAsked: MGM_RequestGiftItems / MGM_RequestGiftConfirmation
	// were typed for it.
	ItemsAsked   bool `json:"itemsAsked"`
	ConsentAsked bool `json:"consentAsked"`
}

// GiftAlert is a gift tag the backend refused for good — above all a recipient's
// consent or a sent mail for a request that had already failed.
type GiftAlert struct {
	Key    string    `json:"key"`
	GiftID string    `json:"giftId"`
	Kind   tags.Kind `json:"kind"`
	Name   string    `json:"characterName"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
	// Dropped: MGM_CancelGift was typed for it (the addon dropped the gift).
	Dropped bool `json:"dropped"`
}

// DismissGiftAlert puts a gift alert away.
func (a *App) DismissGiftAlert(key string) error {
	return a.j.MarkTyped(typedDismissed, key)
}

// giftAlerts are the gift tags refused for good and not dismissed, newest first.
func (a *App) giftAlerts() []GiftAlert {
	recent, _ := a.j.Recent(200)
	out := []GiftAlert{}
	for _, r := range recent {
		if r.State != journal.StateFailed || (r.Kind != tags.GiftAccept && r.Kind != tags.GiftSent && r.Kind != tags.Items) {
			continue
		}
		if gone, _ := a.j.Typed(typedDismissed, r.Key); gone {
			continue
		}
		name, _ := a.j.Name(r.ID)
		at := r.SeenAt
		if r.DoneAt != nil {
			at = *r.DoneAt
		}
		al := GiftAlert{Key: r.Key, GiftID: r.ID, Kind: r.Kind, Name: name, Text: r.Note, At: at}
		wanted, _ := a.j.Typed(dropWanted, r.Key)
		al.Dropped, _ = a.j.Typed(dropTyped, r.Key)
		if wanted && r.Kind == tags.GiftAccept {
			if al.Dropped {
				al.Text += " — the addon was told to drop it (MGM_CancelGift): it left the addon's mail queue, unless Send was already pressed"
			} else {
				al.Text += " — the addon is told to drop it as soon as WoW is found; until then, if it is in the addon's mail queue, do not send it"
			}
		}
		out = append(out, al)
	}
	return out
}

// giftViews is the list for the window, with positions and item lists.
func (a *App) giftViews(gifts []events.GiftRequest) []GiftView {
	out := make([]GiftView, 0, len(gifts))
	for i, g := range gifts {
		v := GiftView{GiftRequest: g, Position: i + 1}
		if g.Status != domain.GiftPending {
			v.Items, v.ItemsSeen = a.giftItems(g)
		}
		if v.Items == nil {
			v.Items = []events.GiftItem{}
		}
		v.ItemsAsked, _ = a.j.Typed(typedGiftItems, g.ID)
		v.ConsentAsked, _ = a.j.Typed(typedGiftConsent, g.ID)
		out = append(out, v)
	}
	return out
}
