package service

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

// fakePool answers claims like the pool service: a request id seen before is a replay.
type fakePool struct {
	mu   sync.Mutex
	seen map[string]bool
	reqs []events.PoolClaimRequest
}

func (p *fakePool) claim(_ context.Context, data []byte) (any, error) {
	var req events.PoolClaimRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "bad request")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	if req.CharacterName == "Taken" {
		return nil, errs.E(errs.CharacterNameTaken, "character name is taken")
	}
	replay := p.seen[req.EnrollmentRequestID]
	p.seen[req.EnrollmentRequestID] = true
	return events.PoolClaimReply{CharacterName: req.CharacterName, EnrollmentRequestID: req.EnrollmentRequestID, Replay: replay}, nil
}

func (p *fakePool) requests() []events.PoolClaimRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]events.PoolClaimRequest(nil), p.reqs...)
}

// newHelixHarness is a gateway that checks subscriptions with the real Helix client
// against the fake Helix server.
func newHelixHarness(t *testing.T) (*harness, *fakehelix.Server, *fakePool) {
	fh := fakehelix.New()
	t.Cleanup(fh.Close)
	h := newHarness(t, func(c *config.Config) {
		c.DevSkipSubscriber = false
		*c = fh.Configure(*c)
	})
	pool := &fakePool{seen: map[string]bool{}}
	h.serve(events.RPCPoolClaim, pool.claim)
	return h, fh, pool
}

const reqID = "6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60"

func claimBody(name, id string) string {
	b, _ := json.Marshal(ClaimRequest{CharacterName: name, EnrollmentRequestID: id})
	return string(b)
}

func TestClaim_Subscriber201ThenReplay200(t *testing.T) {
	t.Parallel()
	h, fh, pool := newHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	tok := h.viewer("42")

	r := h.do("POST", "/api/payouts/claim", claimBody("  Норинн ", reqID), bearer(tok)...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.JSONEq(t, `{"characterName":"Норинн","enrollmentRequestId":"`+reqID+`","replay":false}`, string(r.body))

	r = h.do("POST", "/api/payouts/claim", claimBody("Норинн", reqID), bearer(tok)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, true, r.json(t)["replay"])

	reqs := pool.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, events.PoolClaimRequest{TwitchUserID: "42", CharacterName: "Норинн", EnrollmentRequestID: reqID}, reqs[0],
		"identity comes from the token, the name is trimmed")
}

func TestClaim_NonSubscriberIs403(t *testing.T) {
	t.Parallel()
	h, fh, pool := newHelixHarness(t)
	fh.SetSubscriber("43", "1000") // someone else
	r := h.do("POST", "/api/payouts/claim", claimBody("Norinn", reqID), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusForbidden, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "not_subscriber", code)
	assert.Empty(t, pool.requests(), "the pool never hears of it")
}

func TestClaim_HelixDownIs503(t *testing.T) {
	t.Parallel()
	h, fh, pool := newHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	fh.SetDown(true)
	r := h.do("POST", "/api/payouts/claim", claimBody("Norinn", reqID), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unavailable", code)
	assert.Empty(t, pool.requests())
}

func TestClaim_InvalidInputIs400BeforeAnyLookup(t *testing.T) {
	t.Parallel()
	h, fh, pool := newHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	for _, c := range []struct{ body, code string }{
		{claimBody("N0rinn", reqID), "invalid_character_name"},
		{claimBody("N", reqID), "invalid_character_name"},
		{claimBody("Norinn Two", reqID), "invalid_character_name"},
		{claimBody("Norinn", "not-a-uuid"), "invalid_payload"},
		{claimBody("Norinn", ""), "invalid_payload"},
		{`{"characterName":`, "invalid_payload"},
	} {
		r := h.do("POST", "/api/payouts/claim", c.body, bearer(h.viewer("42"))...)
		assert.Equal(t, http.StatusBadRequest, r.status, c.body)
		code, _ := r.errorBody(t)
		assert.Equal(t, c.code, code, c.body)
	}
	assert.Empty(t, pool.requests())
	assert.Zero(t, fh.Requests("GET /helix/subscriptions"), "no Helix call for a request that cannot succeed")
}

// The panel's side of the issue 12 regression: the Cyrillic-а look-alike of "Thrall" is
// refused with the game's reason, in English and Russian; the Latin name is enrolled in
// the game's form.
func TestClaim_LookAlikeNameIsRefusedWithTheGamesReason(t *testing.T) {
	t.Parallel()
	h, fh, pool := newHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	r := h.do("POST", "/api/payouts/claim", claimBody("Thr\u0430ll", reqID), bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.JSONEq(t, `{"code":"invalid_character_name","message":"Names must contain only one language",
		"details":{"characterName":"Thr\u0430ll","reason":"mixed_languages","messageRu":"Имя должно состоять из букв одного языка"}}`, string(r.body))
	assert.Empty(t, pool.requests())

	r = h.do("POST", "/api/payouts/claim", claimBody("tHRALL", reqID), bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, "Thrall", r.json(t)["characterName"])
}

func TestClaim_PoolRefusalsPassThrough(t *testing.T) {
	t.Parallel()
	h, fh, _ := newHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	r := h.do("POST", "/api/payouts/claim", claimBody("Taken", reqID), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusConflict, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "character_name_taken_in_pool", code)
}

func TestClaim_DevSkipSubscriberCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Config) { c.DevSkipSubscriber = true; c.HelixBaseURL = "http://127.0.0.1:1" })
	pool := &fakePool{seen: map[string]bool{}}
	h.serve(events.RPCPoolClaim, pool.claim)
	r := h.do("POST", "/api/payouts/claim", claimBody("Norinn", reqID), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusCreated, r.status, "%s", r.body)
}
