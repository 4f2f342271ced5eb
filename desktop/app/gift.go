package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mimiron/mgm/desktop/api"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/journal"
	"github.com/mimiron/mgm/desktop/tags"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
)

// The !twgift flow (docs/product.md §8) as the Desktop drives it:
//
//  1. the poller lists the gift requests; for the one being served (SelectingItem) it
//     types /run MGM_RequestGiftItems("<id>") once (journal mark "gift-items");
//  2. the addon prints [MGM_ITEMS:<id>][…]; the tag goes to PATCH {items} and the list
//     is shown in the window;
//  3. the streamer picks an item (the backend allows 60 s): POST select-item, then
//     /run MGM_RequestGiftConfirmation("<id>","<Name>",<itemId>,<count>) once (mark
//     "gift-consent"; the poller types it too when a select went through but the typing
//     did not, e.g. the Desktop stopped in between); the count is the listed one (stacks
//     summed), and the addon mails that many;
//  4. the recipient whispers !twgift: [MGM_GIFT_ACCEPT] → POST confirm; the addon
//     queues the gift mail; the streamer sends it at a mailbox; [MGM_GIFT_SENT] → PATCH
//     Completed.
//
// A gift tag for a request that has already failed (it timed out, or the streamer
// skipped it) is a permanent failure shown to the streamer: the addon may still have
// that gift queued and it must not be sent. So the Desktop types
// /run MGM_CancelGift("<id>") — the addon drops the consent and the queued mail — when
// the streamer skips a request and when a consent or sent tag comes back 409 from
// Failed. Each drop is journaled as wanted ("gift-drop-wanted") before it is typed
// ("gift-drop"), and the poller types the wanted ones WoW was not there for.

// Journal marks of the gift commands typed.
const (
	typedGiftItems   = "gift-items"
	typedGiftConsent = "gift-consent"
	typedDismissed   = "dismissed" // a gift alert the streamer put away
	// A drop (MGM_CancelGift) is wanted for a token — the gift id for a skip, the
	// refused tag's journal key for a 409 — and typed once per token.
	dropWanted = "gift-drop-wanted"
	dropTyped  = "gift-drop"
)

// pollGifts reads the gift requests (when gifts are on) for the window and the driver.
func (a *App) pollGifts(ctx context.Context) {
	if !a.Settings().GiftsEnabled {
		a.mu.Lock()
		a.gifts, a.giftStat = nil, Status{"unknown", "gifts (!twgift) are switched off in Settings"}
		a.mu.Unlock()
		return
	}
	gs, err := a.api.Gifts(ctx)
	if err != nil {
		a.setStatus(&a.giftStat, "error", "could not read the gift requests: %v", err)
		return
	}
	for _, g := range gs {
		_ = a.j.SetName(g.ID, g.CharacterName)
	}
	a.mu.Lock()
	a.gifts, a.giftStat = gs, Status{"ok", fmt.Sprintf("%d gift request(s) open", len(gs))}
	a.mu.Unlock()
}

// driveGifts types what the served gift request needs: the item list request once it
// is SelectingItem, the consent whisper once an item was selected.
func (a *App) driveGifts(ctx context.Context) {
	a.mu.Lock()
	gifts := append([]events.GiftRequest(nil), a.gifts...)
	a.mu.Unlock()
	for _, g := range gifts {
		switch {
		case g.Status == domain.GiftSelectingItem:
			a.giftMu.Lock()
			if typed, _ := a.j.Typed(typedGiftItems, g.ID); !typed {
				if _, err := a.submit(cmdGiftItems, g.ID, inject.RequestGiftItems(g.ID)); err != nil {
					a.eventf("warn", "could not ask the game for giftable items (gift to %s): %v", g.CharacterName, err)
				} else {
					_ = a.j.MarkTyped(typedGiftItems, g.ID)
					a.eventf("info", "gift to %s (%s): asked the game for giftable items; pick one within 60 s", g.CharacterName, short(g.ID))
				}
			}
			a.giftMu.Unlock()
		case g.Status == domain.GiftWaitingConfirmation && g.ItemID != nil && g.AcceptedAt == nil:
			if err := a.askConsent(ctx, g); err != nil {
				a.eventf("warn", "could not type the gift consent whisper to %s: %v", g.CharacterName, err)
			}
		}
	}
	a.typeDrops(ctx)
}

// giftOf is the gift id in a drop token ("<id>" or "<tag kind>:<id>").
func giftOf(token string) string {
	if i := strings.LastIndexByte(token, ':'); i >= 0 {
		return token[i+1:]
	}
	return token
}

// wantDrop records that the addon must be told to drop a gift, then tells it.
func (a *App) wantDrop(ctx context.Context, token string) error {
	if err := a.j.MarkTyped(dropWanted, token); err != nil {
		a.eventf("error", "journal: %v", err)
	}
	return a.typeDrop(ctx, token)
}

// typeDrops types the drops still wanted (WoW was not there when they were wanted).
func (a *App) typeDrops(ctx context.Context) {
	tokens, err := a.j.TypedIDs(dropWanted)
	if err != nil {
		a.eventf("error", "journal: %v", err)
		return
	}
	for _, tok := range tokens {
		if err := a.typeDrop(ctx, tok); err != nil {
			a.eventf("warn", "could not tell the addon to drop gift %s: %v", short(giftOf(tok)), err)
			return
		}
	}
}

// typeDrop types /run MGM_CancelGift("<id>") once per token.
func (a *App) typeDrop(ctx context.Context, token string) error {
	a.giftMu.Lock()
	defer a.giftMu.Unlock()
	if typed, _ := a.j.Typed(dropTyped, token); typed {
		return nil
	}
	id := giftOf(token)
	if _, err := a.submit(cmdGiftDrop, id, inject.CancelGift(id)); err != nil {
		return err
	}
	_ = a.j.MarkTyped(dropTyped, token)
	name, _ := a.j.Name(id)
	a.eventf("info", "gift to %s (%s): the addon was told to drop it (MGM_CancelGift)", name, short(id))
	return nil
}

// askConsent types the consent whisper of a gift whose item is selected, once.
func (a *App) askConsent(ctx context.Context, g events.GiftRequest) error {
	a.giftMu.Lock()
	defer a.giftMu.Unlock()
	if typed, _ := a.j.Typed(typedGiftConsent, g.ID); typed {
		return nil
	}
	if _, err := a.submit(cmdGiftConsent, g.ID, inject.RequestGiftConfirmation(g.ID, g.CharacterName, *g.ItemID, g.ItemCount)); err != nil {
		return err
	}
	// Marked after typing: a crash in between whispers twice, which the addon takes as
	// a repeat; the reverse would leave the recipient never asked.
	_ = a.j.MarkTyped(typedGiftConsent, g.ID)
	a.eventf("info", "gift to %s: consent whisper sent (%s ×%d), waiting for !twgift", g.CharacterName, itemLabel(g.ItemName, *g.ItemID), g.ItemCount)
	return nil
}

func itemLabel(name string, id int64) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("item %d", id)
}

// giftItems is the item list of a gift request: the one the addon printed (journaled
// [MGM_ITEMS], so it survives a restart), else the one the backend holds.
func (a *App) giftItems(g events.GiftRequest) ([]events.GiftItem, bool) {
	if r, ok, _ := a.j.Get(string(tags.Items) + ":" + g.ID); ok {
		var items []events.GiftItem
		if json.Unmarshal(r.Payload, &items) == nil {
			return items, true
		}
	}
	return g.OfferedItems, len(g.OfferedItems) > 0
}

// ErrGiftGone is returned when the gift request is not being served any more.
var ErrGiftGone = errors.New("this gift request is not being served any more")

// SelectGiftItem is the streamer's pick: POST select-item with the item as the addon
// listed it, then the consent whisper is typed. It refuses when the game is not found
// (the 5-minute consent clock would run with nobody asked).
func (a *App) SelectGiftItem(ctx context.Context, id string, itemID int64) (string, error) {
	defer a.Refresh()
	if _, err := a.q.Find(ctx); err != nil {
		a.eventf("warn", "gift item not selected: %v", err)
		return "", fmt.Errorf("%w (%v)", ErrNoGame, err)
	}
	g, err := a.activeGift(ctx, id)
	if err != nil {
		return "", err
	}
	items, _ := a.giftItems(g)
	var item *events.GiftItem
	for i := range items {
		if items[i].ItemID == itemID {
			item = &items[i]
			break
		}
	}
	if item == nil {
		return "", fmt.Errorf("item %d is not in the list the game printed for this gift", itemID)
	}
	got, err := a.api.GiftSelect(ctx, id, item.ItemID, item.Name, item.Count)
	if err != nil {
		if from := conflictFrom(err); from == domain.GiftFailed || from == domain.GiftCompleted {
			err = fmt.Errorf("too late: the gift request is already %s: %w", from, err)
		}
		a.eventf("error", "gift to %s: selecting %s refused: %v", g.CharacterName, item.Name, err)
		return "", err
	}
	a.replaceGift(*got)
	if got.ItemID == nil || *got.ItemID != item.ItemID {
		return "", fmt.Errorf("the backend kept another item (%v) for this gift", got.ItemID)
	}
	got.CharacterName = g.CharacterName
	if err := a.askConsent(ctx, *got); err != nil {
		a.eventf("error", "gift to %s: %s selected, but the consent whisper could not be typed (%v); it is typed again when WoW is back", g.CharacterName, item.Name, err)
		return "", err
	}
	return fmt.Sprintf("%s selected; %s was asked for consent (5 min)", item.Name, g.CharacterName), nil
}

// FailGift is the window's Skip / fail: PATCH {status: Failed, reason: streamer}, then
// /run MGM_CancelGift("<id>"), so the addon drops the consent and any queued mail of it
// (typed on every skip: the addon takes a gift it does not know as a no-op). A request
// that had already failed is dropped in the addon too.
func (a *App) FailGift(ctx context.Context, id string) (string, error) {
	defer a.Refresh()
	name, _ := a.j.Name(id)
	if err := a.api.GiftFail(ctx, id, "streamer"); err != nil {
		from := conflictFrom(err)
		if from != "" {
			err = fmt.Errorf("the gift request is already %s: %w", from, err)
		}
		if from == domain.GiftFailed {
			_ = a.wantDrop(ctx, id)
		}
		a.eventf("error", "gift to %s: skip refused: %v", name, err)
		return "", err
	}
	msg := fmt.Sprintf("gift to %s skipped (Failed)", name)
	if err := a.wantDrop(ctx, id); err != nil || !a.isLive() {
		why := "the game does not answer yet"
		if err != nil {
			why = err.Error()
		}
		msg += fmt.Sprintf("; the addon could not be told to drop it yet (%s): it is told as soon as WoW is found and in the world — until then, if the gift is in its mail queue, do not send it", why)
	} else if asked, _ := a.j.Typed(typedGiftConsent, id); asked {
		msg += "; they were already whispered: the addon was told to drop the gift, so their !twgift is ignored"
	}
	a.eventf("info", "%s", msg)
	return msg, nil
}

// activeGift finds a served request by id, in the last list or a fresh one.
func (a *App) activeGift(ctx context.Context, id string) (events.GiftRequest, error) {
	find := func() (events.GiftRequest, bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, g := range a.gifts {
			if g.ID == id {
				return g, true
			}
		}
		return events.GiftRequest{}, false
	}
	g, ok := find()
	if !ok || g.Status != domain.GiftSelectingItem {
		a.pollGifts(ctx)
		g, ok = find()
	}
	if !ok {
		return g, ErrGiftGone
	}
	if g.Status != domain.GiftSelectingItem && g.Status != domain.GiftWaitingConfirmation {
		return g, fmt.Errorf("the gift to %s is %s: an item is picked only while it is served", g.CharacterName, g.Status)
	}
	return g, nil
}

func (a *App) replaceGift(g events.GiftRequest) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.gifts {
		if a.gifts[i].ID == g.ID {
			if g.CharacterName == "" {
				g.CharacterName = a.gifts[i].CharacterName
			}
			a.gifts[i] = g
		}
	}
}

// deliverGift makes the backend call of a gift tag. A 409 naming a final state of the
// request (details.from) says what happened before the tag arrived:
//   - an item list for a request that failed meanwhile (the 60 s ran out) is not
//     needed any more: skipped;
//   - the recipient's consent or a sent mail for a Failed request is a permanent
//     failure the streamer must see: the gift must not be sent (or was sent anyway).
func (a *App) deliverGift(ctx context.Context, r journal.Record) (bool, string, error) {
	name, _ := a.j.Name(r.ID)
	if name == "" {
		name = "the recipient"
	}
	switch r.Kind {
	case tags.Items:
		err := a.api.GiftItems(ctx, r.ID, r.Payload)
		if from := conflictFrom(err); from == domain.GiftFailed || from == domain.GiftCompleted {
			return false, "the gift request is already " + from + "; the list is not needed", nil
		}
		if err != nil {
			return false, "", err
		}
		return true, "", nil
	case tags.GiftAccept:
		err := a.api.GiftConfirm(ctx, r.ID)
		if from := conflictFrom(err); from == domain.GiftFailed {
			a.markDrop(r.Key)
			return false, "", fmt.Errorf("%s answered !twgift, but the gift request had already failed%s: DO NOT SEND this gift: %w", name, reasonOf(err), err)
		}
		if err != nil {
			return false, "", err
		}
		return true, "", nil
	default: // tags.GiftSent
		err := a.api.GiftCompleted(ctx, r.ID)
		if from := conflictFrom(err); from == domain.GiftFailed {
			a.markDrop(r.Key)
			return false, "", fmt.Errorf("the gift to %s was mailed, but its request had already failed%s: %w", name, reasonOf(err), err)
		}
		if err != nil {
			return false, "", err
		}
		return true, "", nil
	}
}

// markDrop wants a drop for a refused tag; the poller (woken when the refusal is
// recorded) types it, so the delivery of other tags does not wait on the game.
func (a *App) markDrop(key string) {
	if err := a.j.MarkTyped(dropWanted, key); err != nil {
		a.eventf("error", "journal: %v", err)
	}
}

func reasonOf(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		if s, _ := e.Details["reason"].(string); s != "" {
			return " (" + s + ")"
		}
	}
	return ""
}
