package service

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/services/gateway/auth"
)

// Gift routes (docs/product.md §8), served by the gift-queue service over NATS. This
// deployment serves one broadcaster, so every call names TWITCH_BROADCASTER_ID as the
// streamer; the viewer route's {streamerId} must be that id.

// giftRoutes registers the gift routes; desktop is the Desktop's middleware chain.
func (g *Gateway) giftRoutes(e *echo.Echo, desktop []echo.MiddlewareFunc) {
	e.GET("/api/streamers/:streamerId/gift-queue", g.viewerRoute(g.viewerReads, g.giftQueue))
	e.POST("/api/gift-requests", g.viewerRoute(g.viewerWrites, g.createGift))

	e.GET("/api/gift-requests", g.listGifts, desktop...)
	e.PATCH("/api/gift-requests/:id", g.updateGift, desktop...)
	e.POST("/api/gift-requests/:id/select-item", g.selectGiftItem, desktop...)
	e.POST("/api/gift-requests/:id/confirm", g.confirmGift, desktop...)
}

// --- viewer routes ---

func (g *Gateway) giftQueue(c echo.Context, v auth.Viewer) error {
	if c.Param("streamerId") != g.cfg.BroadcasterID {
		return errs.E(errs.NotFound, "no gift queue for this streamer").WithDetails(map[string]any{"streamerId": c.Param("streamerId")})
	}
	var out events.GiftQueueSnapshot
	req := events.GiftQueueRequest{StreamerID: g.cfg.BroadcasterID, TwitchUserID: v.UserID}
	if err := g.call(c, events.RPCGiftQueue, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// GiftCreateBody is the body of POST /api/gift-requests.
type GiftCreateBody struct {
	CharacterName string `json:"characterName"`
	RequestID     string `json:"requestId,omitempty"`
}

// DecodeGiftCreate checks a gift request body: a valid character name (trimmed) and,
// when given, a UUID requestId.
func DecodeGiftCreate(b []byte) (GiftCreateBody, error) {
	var body GiftCreateBody
	if err := decodeObject(b, &body); err != nil {
		return GiftCreateBody{}, err
	}
	name, err := domain.ParseCharacterName(body.CharacterName)
	if err != nil {
		return GiftCreateBody{}, err
	}
	body.CharacterName = name.String()
	if body.RequestID != "" {
		if body.RequestID, err = parseID("requestId", body.RequestID); err != nil {
			return GiftCreateBody{}, err
		}
	}
	return body, nil
}

func (g *Gateway) createGift(c echo.Context, v auth.Viewer) error {
	if err := v.RequireIdentity(); err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	body, err := DecodeGiftCreate(b)
	if err != nil {
		return err
	}
	if err := g.checkSubscriber(c, v.UserID); err != nil {
		if errs.Has(err, errs.NotSubscriber) {
			return errs.E(errs.NotSubscriber, "only subscribers of the channel can ask for a gift")
		}
		return err
	}
	var out events.GiftViewerRequest
	err = g.call(c, events.RPCGiftCreate, events.GiftCreateRequest{
		StreamerID:    g.cfg.BroadcasterID,
		TwitchUserID:  v.UserID,
		CharacterName: body.CharacterName,
		RequestID:     body.RequestID,
	}, &out)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if out.Replay {
		status = http.StatusOK
	}
	return c.JSON(status, out)
}

// --- Desktop routes ---

func (g *Gateway) listGifts(c echo.Context) error {
	var out []events.GiftRequest
	if err := g.call(c, events.RPCGiftList, events.GiftListRequest{StreamerID: g.cfg.BroadcasterID}, &out); err != nil {
		return err
	}
	if out == nil {
		out = []events.GiftRequest{}
	}
	return c.JSON(http.StatusOK, out)
}

// giftPatchWire is PATCH /api/gift-requests/{id} with every field optional.
type giftPatchWire struct {
	Status *string            `json:"status"`
	Reason *string            `json:"reason"`
	Items  *[]json.RawMessage `json:"items"`
}

// giftItemWire is one [MGM_ITEMS] entry with the required fields told apart from zero.
type giftItemWire struct {
	ItemID  *int64  `json:"itemId"`
	Name    *string `json:"name"`
	Count   *int    `json:"count"`
	Quality *int    `json:"quality"`
}

// maxGiftItems and maxGiftText bound what the Desktop may send.
const (
	maxGiftItems = 500
	maxGiftText  = 200
)

// DecodeGiftPatch checks a PATCH body: either {status, reason?} or {items} (the
// addon's [MGM_ITEMS] list, each entry with itemId, name and count; quality optional).
// The result carries no id or streamer.
func DecodeGiftPatch(b []byte) (events.GiftUpdateRequest, error) {
	var w giftPatchWire
	if err := decodeObject(b, &w); err != nil {
		return events.GiftUpdateRequest{}, err
	}
	hasStatus := w.Status != nil && strings.TrimSpace(*w.Status) != ""
	if hasStatus == (w.Items != nil) {
		return events.GiftUpdateRequest{}, errs.E(errs.Invalid, "send either status (with an optional reason) or items").
			WithDetails(map[string]any{"field": "status"})
	}
	if hasStatus {
		out := events.GiftUpdateRequest{Status: strings.TrimSpace(*w.Status)}
		if w.Reason != nil {
			out.Reason = strings.TrimSpace(*w.Reason)
		}
		if len(out.Status) > maxGiftText || len(out.Reason) > maxGiftText {
			return events.GiftUpdateRequest{}, errs.E(errs.Invalid, "status and reason are at most %d bytes", maxGiftText).
				WithDetails(map[string]any{"field": "reason"})
		}
		return out, nil
	}
	if len(*w.Items) > maxGiftItems {
		return events.GiftUpdateRequest{}, errs.E(errs.Invalid, "at most %d items", maxGiftItems).WithDetails(map[string]any{"field": "items"})
	}
	items := make([]events.GiftItem, 0, len(*w.Items))
	for i, raw := range *w.Items {
		var iw giftItemWire
		if err := decodeObject(raw, &iw); err != nil {
			return events.GiftUpdateRequest{}, errs.E(errs.Invalid, "items[%d] is not an item object", i).WithDetails(map[string]any{"field": "items", "index": i})
		}
		if iw.ItemID == nil || *iw.ItemID <= 0 || iw.Name == nil || len(*iw.Name) > maxGiftText || iw.Count == nil || *iw.Count < 1 {
			return events.GiftUpdateRequest{}, errs.E(errs.Invalid, "items[%d] needs a positive itemId, a name and a count of at least 1", i).
				WithDetails(map[string]any{"field": "items", "index": i})
		}
		it := events.GiftItem{ItemID: *iw.ItemID, Name: *iw.Name, Count: *iw.Count}
		if iw.Quality != nil {
			it.Quality = *iw.Quality
		}
		items = append(items, it)
	}
	return events.GiftUpdateRequest{Items: &items}, nil
}

func (g *Gateway) updateGift(c echo.Context) error {
	return g.giftCommand(c, events.RPCGiftUpdate, func(b []byte, streamerID, id string) (any, error) {
		req, err := DecodeGiftPatch(b)
		req.StreamerID, req.ID = streamerID, id
		return req, err
	})
}

// giftSelectWire is POST /api/gift-requests/{id}/select-item.
type giftSelectWire struct {
	ItemID   *int64  `json:"itemId"`
	ItemName *string `json:"itemName"`
	Count    *int    `json:"count"`
}

// DecodeGiftSelect checks a select-item body: a positive itemId, an optional name and
// an optional count of at least 1 (default 1).
func DecodeGiftSelect(b []byte) (events.GiftSelectRequest, error) {
	var w giftSelectWire
	if err := decodeObject(b, &w); err != nil {
		return events.GiftSelectRequest{}, err
	}
	if w.ItemID == nil || *w.ItemID <= 0 {
		return events.GiftSelectRequest{}, errs.E(errs.Invalid, "itemId must be a positive item id").WithDetails(map[string]any{"field": "itemId"})
	}
	out := events.GiftSelectRequest{ItemID: *w.ItemID, Count: 1}
	if w.ItemName != nil {
		out.ItemName = strings.TrimSpace(*w.ItemName)
		if len(out.ItemName) > maxGiftText {
			return events.GiftSelectRequest{}, errs.E(errs.Invalid, "itemName is at most %d bytes", maxGiftText).WithDetails(map[string]any{"field": "itemName"})
		}
	}
	if w.Count != nil {
		if *w.Count < 1 {
			return events.GiftSelectRequest{}, errs.E(errs.Invalid, "count must be at least 1").WithDetails(map[string]any{"field": "count"})
		}
		out.Count = *w.Count
	}
	return out, nil
}

func (g *Gateway) selectGiftItem(c echo.Context) error {
	return g.giftCommand(c, events.RPCGiftSelect, func(b []byte, streamerID, id string) (any, error) {
		req, err := DecodeGiftSelect(b)
		req.StreamerID, req.ID = streamerID, id
		return req, err
	})
}

// giftConfirmWire is POST /api/gift-requests/{id}/confirm. Status is read only to
// refuse it: Completed is set with PATCH, so a confirm that names a status is a
// client mistake, not a consent.
type giftConfirmWire struct {
	Accepted *bool           `json:"accepted"`
	Status   json.RawMessage `json:"status"`
}

// DecodeGiftConfirm reads a confirm body: empty, {} or {"accepted":true} record the
// recipient's consent ([MGM_GIFT_ACCEPT]); {"accepted":false} records a refusal.
func DecodeGiftConfirm(b []byte) (events.GiftConfirmRequest, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return events.GiftConfirmRequest{Accepted: true}, nil
	}
	var w giftConfirmWire
	if err := decodeObject(b, &w); err != nil {
		return events.GiftConfirmRequest{}, err
	}
	if w.Status != nil {
		return events.GiftConfirmRequest{}, errs.E(errs.Invalid, "confirm records the recipient's consent ({\"accepted\":true|false}); set Completed with PATCH /api/gift-requests/{id}").
			WithDetails(map[string]any{"field": "status"})
	}
	return events.GiftConfirmRequest{Accepted: w.Accepted == nil || *w.Accepted}, nil
}

func (g *Gateway) confirmGift(c echo.Context) error {
	return g.giftCommand(c, events.RPCGiftConfirm, func(b []byte, streamerID, id string) (any, error) {
		req, err := DecodeGiftConfirm(b)
		req.StreamerID, req.ID = streamerID, id
		return req, err
	})
}

// giftCommand is a Desktop route on one request: the {id} from the path, the body
// checked by decode (which also names the streamer and the request), the request sent
// to subject and the gift request it answers returned.
func (g *Gateway) giftCommand(c echo.Context, subject string, decode func(b []byte, streamerID, id string) (any, error)) error {
	id, err := parseID("id", c.Param("id"))
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	req, err := decode(b, g.cfg.BroadcasterID, id)
	if err != nil {
		return err
	}
	var out events.GiftRequest
	if err := g.call(c, subject, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// decodeObject decodes a JSON object (not null, an array or a scalar) into v.
func decodeObject(b []byte, v any) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return errs.E(errs.Invalid, "request body must be a JSON object")
	}
	return decodeJSON(t, v)
}
