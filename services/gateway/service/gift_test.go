package service

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
)

const giftID = "0b9d3f7e-5c1a-4e2b-8f00-112233445566"

// fakeGifts answers the gift RPCs like the gift-queue service would, recording what
// the gateway sent.
type fakeGifts struct {
	mu   sync.Mutex
	seen map[string]bool // requestIds already created
	reqs map[string][][]byte
	fail error // returned by the Desktop RPCs when set
}

func newFakeGifts(h *harness) *fakeGifts {
	f := &fakeGifts{seen: map[string]bool{}, reqs: map[string][][]byte{}}
	record := func(subject string, data []byte) {
		f.mu.Lock()
		f.reqs[subject] = append(f.reqs[subject], append([]byte(nil), data...))
		f.mu.Unlock()
	}
	h.serve(events.RPCGiftCreate, func(_ context.Context, data []byte) (any, error) {
		record(events.RPCGiftCreate, data)
		var req events.GiftCreateRequest
		_ = json.Unmarshal(data, &req)
		if req.CharacterName == "Used" {
			return nil, errs.E(errs.GiftAlreadyUsed, "already received")
		}
		f.mu.Lock()
		replay := req.RequestID != "" && f.seen[req.RequestID]
		f.seen[req.RequestID] = true
		f.mu.Unlock()
		return events.GiftViewerRequest{ID: giftID, RequestID: req.RequestID, CharacterName: req.CharacterName,
			Status: domain.GiftPending, Position: 2, ETASeconds: 65, Replay: replay}, nil
	})
	h.serve(events.RPCGiftQueue, func(_ context.Context, data []byte) (any, error) {
		record(events.RPCGiftQueue, data)
		var req events.GiftQueueRequest
		_ = json.Unmarshal(data, &req)
		out := events.GiftQueueSnapshot{StreamerID: req.StreamerID, QueueLength: 2, PendingCount: 1, ETAPerPositionSeconds: 65,
			Active: &events.GiftQueueActive{CharacterName: "Thrall", Status: domain.GiftSelectingItem}}
		if req.TwitchUserID != "" {
			out.MyRequest = &events.GiftViewerRequest{ID: giftID, CharacterName: "Norinn", Status: domain.GiftPending, Position: 2, ETASeconds: 65}
		}
		return out, nil
	})
	h.serve(events.RPCGiftList, func(_ context.Context, data []byte) (any, error) {
		record(events.RPCGiftList, data)
		return nil, nil // the service answered nothing: the route still says []
	})
	desktop := func(subject string) func(context.Context, []byte) (any, error) {
		return func(_ context.Context, data []byte) (any, error) {
			record(subject, data)
			f.mu.Lock()
			fail := f.fail
			f.mu.Unlock()
			if fail != nil {
				return nil, fail
			}
			return events.GiftRequest{ID: giftID, Status: domain.GiftWaitingConfirmation, OfferedItems: []events.GiftItem{}}, nil
		}
	}
	for _, s := range []string{events.RPCGiftUpdate, events.RPCGiftSelect, events.RPCGiftConfirm} {
		h.serve(s, desktop(s))
	}
	return f
}

func (f *fakeGifts) sent(subject string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.reqs[subject] {
		out = append(out, string(b))
	}
	return out
}

func TestGiftQueue_ViewerSeesQueueAndOwnPosition(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	f := newFakeGifts(h)
	r := h.do("GET", "/api/streamers/"+broadcaster+"/gift-queue", "", bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	m := r.json(t)
	assert.EqualValues(t, 2, m["queueLength"])
	assert.EqualValues(t, 65, m["myRequest"].(map[string]any)["etaSeconds"])
	assert.Equal(t, []string{`{"streamerId":"1001","twitchUserId":"42"}`}, f.sent(events.RPCGiftQueue), "identity comes from the token")

	anon := h.token(extjwtClaims("", "Uanon"))
	r = h.do("GET", "/api/streamers/"+broadcaster+"/gift-queue", "", bearer(anon)...)
	require.Equal(t, http.StatusOK, r.status, "a viewer without shared identity still sees the queue")
	assert.Nil(t, r.json(t)["myRequest"])

	r = h.do("GET", "/api/streamers/999/gift-queue", "", bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusNotFound, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "not_found", code)

	r = h.do("GET", "/api/streamers/"+broadcaster+"/gift-queue", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

func newGiftHelixHarness(t *testing.T) (*harness, *fakehelix.Server, *fakeGifts) {
	fh := fakehelix.New()
	t.Cleanup(fh.Close)
	h := newHarness(t, func(c *config.Config) {
		c.DevSkipSubscriber = false
		*c = fh.Configure(*c)
	})
	return h, fh, newFakeGifts(h)
}

func giftBody(name, id string) string {
	b, _ := json.Marshal(GiftCreateBody{CharacterName: name, RequestID: id})
	return string(b)
}

func TestCreateGift_Subscriber201ThenReplay200(t *testing.T) {
	t.Parallel()
	h, fh, f := newGiftHelixHarness(t)
	fh.SetSubscriber("42", "1000")
	r := h.do("POST", "/api/gift-requests", giftBody(" Норинн ", reqID), bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, false, r.json(t)["replay"])
	r = h.do("POST", "/api/gift-requests", giftBody("Норинн", reqID), bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, true, r.json(t)["replay"])
	r = h.do("POST", "/api/gift-requests", giftBody("Норинн", ""), bearer(h.viewer("42"))...)
	require.Equal(t, http.StatusCreated, r.status, "requestId is optional")

	sent := f.sent(events.RPCGiftCreate)
	require.Len(t, sent, 3)
	assert.JSONEq(t, `{"streamerId":"1001","twitchUserId":"42","twitchDisplayName":"","characterName":"Норинн","requestId":"`+reqID+`"}`, sent[0])
	assert.Equal(t, 3, fh.Requests("GET /helix/subscriptions"), "every create is checked with Helix")
}

func TestCreateGift_RefusalsBeforeTheQueue(t *testing.T) {
	t.Parallel()
	h, fh, f := newGiftHelixHarness(t)
	fh.SetSubscriber("43", "1000")
	r := h.do("POST", "/api/gift-requests", giftBody("Norinn", reqID), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusForbidden, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, "not_subscriber", code)
	assert.Contains(t, msg, "gift")

	for _, c := range []struct{ body, code string }{
		{giftBody("N0rinn", reqID), "invalid_character_name"},
		{giftBody("Norinn", "not-a-uuid"), "invalid_payload"},
		{`{"characterName":`, "invalid_payload"},
		{`null`, "invalid_payload"},
		{`["Norinn"]`, "invalid_payload"},
	} {
		r := h.do("POST", "/api/gift-requests", c.body, bearer(h.viewer("43"))...)
		assert.Equal(t, http.StatusBadRequest, r.status, c.body)
		got, _ := r.errorBody(t)
		assert.Equal(t, c.code, got, c.body)
	}
	assert.Equal(t, 1, fh.Requests("GET /helix/subscriptions"), "no Helix call for a body that cannot succeed")

	anon := h.token(extjwtClaims("", "Uanon"))
	r = h.do("POST", "/api/gift-requests", giftBody("Norinn", reqID), bearer(anon)...)
	assert.Equal(t, http.StatusUnauthorized, r.status)

	fh.SetDown(true)
	r = h.do("POST", "/api/gift-requests", giftBody("Norinn", reqID), bearer(h.viewer("43"))...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Empty(t, f.sent(events.RPCGiftCreate), "the queue never hears of refused requests")
}

func TestCreateGift_QueueRefusalsPassThrough(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil) // MGM_DEV_SKIP_SUBSCRIBER_CHECK
	newFakeGifts(h)
	r := h.do("POST", "/api/gift-requests", giftBody("Used", ""), bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusConflict, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "gift_already_used", code)
}

func TestGiftDesktopRoutes_NeedTheKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	newFakeGifts(h)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/gift-requests", ""},
		{"PATCH", "/api/gift-requests/" + giftID, `{"status":"Failed"}`},
		{"POST", "/api/gift-requests/" + giftID + "/select-item", `{"itemId":1}`},
		{"POST", "/api/gift-requests/" + giftID + "/confirm", `{}`},
	} {
		r := h.do(c.method, c.path, c.body)
		assert.Equal(t, http.StatusUnauthorized, r.status, c.path)
		r = h.do(c.method, c.path, c.body, key("wrong")...)
		assert.Equal(t, http.StatusForbidden, r.status, c.path)
		code, _ := r.errorBody(t)
		assert.Equal(t, "forbidden_apikey", code)
	}
	r := h.do("GET", "/api/gift-requests", "", key(apiKey)...)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "[]", strings.TrimSpace(string(r.body)))
}

func TestGiftDesktopRoutes_ForwardWhatTheDesktopSends(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	f := newFakeGifts(h)
	ok := func(method, path, body string) {
		t.Helper()
		r := h.do(method, path, body, key(apiKey)...)
		require.Equal(t, http.StatusOK, r.status, "%s %s: %s", method, path, r.body)
		assert.Equal(t, giftID, r.json(t)["id"])
	}
	base := "/api/gift-requests/" + giftID
	ok("PATCH", base, `{"status":" Completed "}`)
	ok("PATCH", base, `{"status":"Failed","reason":"streamer went offline"}`)
	ok("PATCH", base, `{"items":[{"itemId":33470,"name":"Frostweave Cloth","count":32,"quality":1},{"itemId":1,"name":"x","count":1}]}`)
	ok("PATCH", base, `{"items":[]}`)
	ok("POST", base+"/select-item", `{"itemId":33470,"itemName":"Frostweave Cloth","count":5}`)
	ok("POST", base+"/select-item", `{"itemId":33470}`)
	ok("POST", base+"/confirm", `{}`)
	ok("POST", base+"/confirm", ``)
	ok("POST", base+"/confirm", `{"accepted":false}`)

	assert.Equal(t, []string{
		`{"streamerId":"1001","id":"` + giftID + `","status":"Completed"}`,
		`{"streamerId":"1001","id":"` + giftID + `","status":"Failed","reason":"streamer went offline"}`,
		`{"streamerId":"1001","id":"` + giftID + `","items":[{"itemId":33470,"name":"Frostweave Cloth","count":32,"quality":1},{"itemId":1,"name":"x","count":1,"quality":0}]}`,
		`{"streamerId":"1001","id":"` + giftID + `","items":[]}`,
	}, f.sent(events.RPCGiftUpdate))
	assert.Equal(t, []string{
		`{"streamerId":"1001","id":"` + giftID + `","itemId":33470,"itemName":"Frostweave Cloth","count":5}`,
		`{"streamerId":"1001","id":"` + giftID + `","itemId":33470,"count":1}`,
	}, f.sent(events.RPCGiftSelect))
	assert.Equal(t, []string{
		`{"streamerId":"1001","id":"` + giftID + `","accepted":true}`,
		`{"streamerId":"1001","id":"` + giftID + `","accepted":true}`,
		`{"streamerId":"1001","id":"` + giftID + `","accepted":false}`,
	}, f.sent(events.RPCGiftConfirm), "an empty confirm is the recipient's consent")
}

func TestGiftDesktopRoutes_BadBodiesAre400AndConflictsPassThrough(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	f := newFakeGifts(h)
	base := "/api/gift-requests/" + giftID
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/api/gift-requests/nope", `{"status":"Failed"}`},
		{"PATCH", base, `{}`},
		{"PATCH", base, `{"status":"Completed","items":[]}`},
		{"PATCH", base, `{"items":[{"itemId":0,"name":"x","count":1}]}`},
		{"PATCH", base, `{"items":[{"itemId":1,"count":1}]}`},
		{"PATCH", base, `{"items":[{"itemId":1,"name":"x","count":0}]}`},
		{"PATCH", base, `{"items":[1]}`},
		{"PATCH", base, `{"items":{}}`},
		{"POST", base + "/select-item", `{}`},
		{"POST", base + "/select-item", `{"itemId":-3}`},
		{"POST", base + "/select-item", `{"itemId":1,"count":0}`},
		{"POST", base + "/select-item", `{"itemId":"1"}`},
		{"POST", base + "/confirm", `{"status":"Completed"}`},
		{"POST", base + "/confirm", `{"accepted":"yes"}`},
		{"POST", "/api/gift-requests/" + strings.ToUpper(giftID) + "x/confirm", `{}`},
	} {
		r := h.do(c.method, c.path, c.body, key(apiKey)...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s %s %s", c.method, c.path, c.body)
		code, _ := r.errorBody(t)
		assert.Equal(t, "invalid_payload", code, c.body)
	}
	assert.Empty(t, f.sent(events.RPCGiftUpdate))
	assert.Empty(t, f.sent(events.RPCGiftSelect))
	assert.Empty(t, f.sent(events.RPCGiftConfirm))

	f.mu.Lock()
	f.fail = errs.E(errs.TerminalStatusChange, "gift request is Failed").WithDetails(map[string]any{"from": "Failed", "to": "Completed"})
	f.mu.Unlock()
	r := h.do("PATCH", base, `{"status":"Completed"}`, key(apiKey)...)
	assert.Equal(t, http.StatusConflict, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "terminal_status_change_not_allowed", code)
	assert.Equal(t, "Failed", r.json(t)["details"].(map[string]any)["from"], "the Desktop reads details.from")
}

func TestGiftRoutes_SilentQueueIs503(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.do("GET", "/api/gift-requests", "", key(apiKey)...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unavailable", code)
}

// FuzzDecodeGiftBodies: the gift body decoders never panic, and what they accept is
// within the documented bounds.
func FuzzDecodeGiftBodies(f *testing.F) {
	for _, s := range []string{
		`{"status":"Completed"}`, `{"status":"Failed","reason":"x"}`, `{"items":[{"itemId":1,"name":"a","count":2,"quality":3}]}`,
		`{"items":[]}`, `{"itemId":33470,"itemName":"Frostweave Cloth","count":5}`, `{}`, `{"accepted":false}`,
		`{"characterName":"Норинн","requestId":"` + reqID + `"}`, `null`, `[]`, ``, `{"items":null,"status":""}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := DecodeGiftPatch(b); err == nil {
			if (p.Status == "") == (p.Items == nil) {
				t.Fatalf("accepted %q with status %q and items %v", b, p.Status, p.Items)
			}
			if p.Items != nil {
				if len(*p.Items) > maxGiftItems {
					t.Fatalf("accepted %d items", len(*p.Items))
				}
				for _, it := range *p.Items {
					if it.ItemID <= 0 || it.Count < 1 || len(it.Name) > maxGiftText {
						t.Fatalf("accepted item %+v", it)
					}
				}
			}
		}
		if s, err := DecodeGiftSelect(b); err == nil && (s.ItemID <= 0 || s.Count < 1 || len(s.ItemName) > maxGiftText) {
			t.Fatalf("accepted selection %+v", s)
		}
		_, _ = DecodeGiftConfirm(b)
		if c, err := DecodeGiftCreate(b); err == nil {
			if c.RequestID != "" {
				if _, err := uuid.Parse(c.RequestID); err != nil {
					t.Fatalf("accepted requestId %q", c.RequestID)
				}
			}
			if strings.TrimSpace(c.CharacterName) != c.CharacterName || c.CharacterName == "" {
				t.Fatalf("accepted name %q", c.CharacterName)
			}
		}
	})
}

// extjwtClaims is a viewer's claims; userID "" is a viewer who did not share identity.
func extjwtClaims(userID, opaque string) extjwt.Claims {
	return extjwt.Claims{UserID: userID, OpaqueUserID: opaque, Role: "viewer"}
}
