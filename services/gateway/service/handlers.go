package service

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/services/gateway/auth"
	"github.com/mimiron/mgm/services/gateway/state"
)

// call makes one request to a service with the configured timeout; silence is 503
// unavailable (natsx.Call).
func (g *Gateway) call(c echo.Context, subject string, req, resp any) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), g.cfg.RPCTimeout)
	defer cancel()
	return natsx.Call(ctx, g.nc, subject, req, resp)
}

// --- viewer routes (Extension JWT) ---

// stateBufs recycles the state route's response buffers.
var stateBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// rouletteState is the panel's poll: computed from memory, encoded without reflection.
func (g *Gateway) rouletteState(c echo.Context, _ auth.Viewer) error {
	bp := stateBufs.Get().(*[]byte)
	b := state.AppendJSON((*bp)[:0], g.view.Now())
	err := c.JSONBlob(http.StatusOK, b)
	*bp = b
	stateBufs.Put(bp)
	return err
}

func (g *Gateway) poolMe(c echo.Context, v auth.Viewer) error {
	if err := v.RequireIdentity(); err != nil {
		return err
	}
	if out, ok := g.members.Get(v.UserID); ok {
		return c.JSON(http.StatusOK, out)
	}
	token := g.members.Begin()
	var out events.PoolMeReply
	if err := g.call(c, events.RPCPoolMe, events.PoolMeRequest{TwitchUserID: v.UserID}, &out); err != nil {
		return err
	}
	g.members.Put(token, v.UserID, out)
	return c.JSON(http.StatusOK, out)
}

func (g *Gateway) myLastPayout(c echo.Context, v auth.Viewer) error {
	if err := v.RequireIdentity(); err != nil {
		return err
	}
	var out events.Payout
	if err := g.call(c, events.RPCPayoutMyLast, events.MyLastRequest{TwitchUserID: v.UserID}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// ClaimRequest is the body of POST /api/payouts/claim.
type ClaimRequest struct {
	CharacterName       string `json:"characterName"`
	EnrollmentRequestID string `json:"enrollmentRequestId"`
}

func (g *Gateway) claim(c echo.Context, v auth.Viewer) error {
	if err := v.RequireIdentity(); err != nil {
		return err
	}
	var body ClaimRequest
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	name, err := domain.ParseCharacterName(body.CharacterName)
	if err != nil {
		return err
	}
	reqID, err := parseID("enrollmentRequestId", body.EnrollmentRequestID)
	if err != nil {
		return err
	}
	if err := g.checkSubscriber(c, v.UserID); err != nil {
		return err
	}
	var out events.PoolClaimReply
	err = g.call(c, events.RPCPoolClaim, events.PoolClaimRequest{
		TwitchUserID:        v.UserID,
		CharacterName:       name.String(),
		EnrollmentRequestID: reqID,
	}, &out)
	if err != nil {
		return err
	}
	g.members.Invalidate(v.UserID) // the viewer's next pool/me must see the claim
	status := http.StatusCreated
	if out.Replay {
		status = http.StatusOK
	}
	return c.JSON(status, out)
}

func (g *Gateway) checkSubscriber(c echo.Context, userID string) error {
	if g.checker == nil { // MGM_DEV_SKIP_SUBSCRIBER_CHECK
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), g.cfg.RPCTimeout)
	defer cancel()
	ok, err := g.checker.CheckSubscription(ctx, g.cfg.BroadcasterID, userID)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "could not check the subscription with Twitch; try again later")
	}
	if !ok {
		return errs.E(errs.NotSubscriber, "only subscribers of the channel can join the pool")
	}
	return nil
}

// --- Desktop routes (API key) ---

func (g *Gateway) pendingPayouts(c echo.Context) error {
	var out []events.Payout
	if err := g.call(c, events.RPCPayoutPending, struct{}{}, &out); err != nil {
		return err
	}
	if out == nil {
		out = []events.Payout{}
	}
	return c.JSON(http.StatusOK, out)
}

// StatusRequest is the body of PATCH /api/payouts/{id}/status.
type StatusRequest struct {
	Status string `json:"status"`
}

func (g *Gateway) setPayoutStatus(c echo.Context) error {
	id, err := parseID("id", c.Param("id"))
	if err != nil {
		return err
	}
	var body StatusRequest
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Status) == "" {
		return errs.E(errs.Invalid, "status is required").WithDetails(map[string]any{"field": "status"})
	}
	var out events.Payout
	if err := g.call(c, events.RPCPayoutStatus, events.SetStatusRequest{ID: id, Status: strings.TrimSpace(body.Status)}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// AcceptanceRequest is the body of POST /api/payouts/{id}/confirm-acceptance.
type AcceptanceRequest struct {
	CharacterName string `json:"characterName"`
}

func (g *Gateway) confirmAcceptance(c echo.Context) error {
	id, err := parseID("id", c.Param("id"))
	if err != nil {
		return err
	}
	var body AcceptanceRequest
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	name, err := domain.ParseCharacterName(body.CharacterName)
	if err != nil {
		return err
	}
	var out events.Payout
	if err := g.call(c, events.RPCPayoutAccept, events.AcceptRequest{ID: id, CharacterName: name.String()}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (g *Gateway) candidate(c echo.Context) error {
	var out events.Candidate
	err := g.call(c, events.RPCRouletteCandidate, struct{}{}, &out)
	if errs.Has(err, errs.NotFound) {
		return c.NoContent(http.StatusNoContent)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (g *Gateway) verifyCandidate(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	report, err := DecodeWhoReport(b)
	if err != nil {
		return err
	}
	var out events.VerifyReply
	if err := g.call(c, events.RPCRouletteVerify, report, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// --- open routes ---

func (g *Gateway) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (g *Gateway) readyz(c echo.Context) error {
	nats, watch := g.nc.IsConnected(), g.view.Live()
	if !nats || !watch {
		return errs.E(errs.Unavailable, "not ready").WithDetails(map[string]any{"nats": nats, "stateWatch": watch})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "nats": nats, "stateWatch": watch})
}
