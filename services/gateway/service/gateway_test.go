package service

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/svc"
	"github.com/mimiron/mgm/pkg/testenv"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

func servePoolMe(h *harness) {
	h.serve(events.RPCPoolMe, func(_ context.Context, data []byte) (any, error) {
		var req events.PoolMeRequest
		_ = json.Unmarshal(data, &req)
		name := "Norinn"
		return events.PoolMeReply{IsEnrolled: req.TwitchUserID == "42", CharacterName: &name}, nil
	})
}

func TestViewerJWT_EveryRefusalIs401WithErrorBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	servePoolMe(h)
	now := h.clock.Now()
	good := extjwt.Claims{UserID: "42", OpaqueUserID: "U42", ChannelID: broadcaster, Role: "viewer", Exp: now.Add(time.Hour)}
	wrongChannel, expired := good, good
	wrongChannel.ChannelID = "999"
	expired.Exp = now.Add(-time.Minute)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	payload, _ := json.Marshal(good.Map())
	rs256, err := jws.Sign(payload, jws.WithKey(jwa.RS256, rsaKey))
	require.NoError(t, err)
	secret := []byte("whatever")

	cases := map[string][]string{
		"no header":     nil,
		"not bearer":    {"Authorization", "Basic Zm9vOmJhcg=="},
		"wrong channel": bearer(extjwt.Mint(secretOld, wrongChannel)),
		"alg none":      bearer(extjwt.MintAlg("none", nil, good)),
		"HS512":         bearer(extjwt.MintAlg("HS512", secret, good)),
		"RS256":         bearer(string(rs256)),
		"expired":       bearer(extjwt.Mint(secretOld, expired)),
		"bad signature": bearer(extjwt.Mint(extjwt.NewSecret("someone else"), good)),
		"mangled":       bearer(extjwt.Mint(secretOld, good) + "x"),
	}
	for name, hdr := range cases {
		t.Run(name, func(t *testing.T) {
			r := h.do("GET", "/api/pool/me", "", hdr...)
			assert.Equal(t, http.StatusUnauthorized, r.status)
			code, msg := r.errorBody(t)
			assert.Equal(t, "unauthorized", code)
			assert.NotEmpty(t, msg)
		})
	}

	t.Run("both configured secrets are accepted (rotation)", func(t *testing.T) {
		for _, s := range []string{secretOld, secretNew} {
			r := h.do("GET", "/api/pool/me", "", bearer(extjwt.Mint(s, good))...)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			assert.Equal(t, true, r.json(t)["isEnrolled"])
			assert.Equal(t, "Norinn", r.json(t)["characterName"])
		}
	})
}

func TestViewerJWT_MissingIdentityIs401SayingToShareIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	servePoolMe(h)
	anon := h.token(extjwt.Claims{OpaqueUserID: "A123", Role: "viewer"})
	for _, rt := range []struct{ method, path, body string }{
		{"GET", "/api/pool/me", ""},
		{"GET", "/api/payouts/my-last", ""},
		{"POST", "/api/payouts/claim", `{"characterName":"Norinn","enrollmentRequestId":"6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60"}`},
	} {
		r := h.do(rt.method, rt.path, rt.body, bearer(anon)...)
		assert.Equal(t, http.StatusUnauthorized, r.status, rt.path)
		code, msg := r.errorBody(t)
		assert.Equal(t, "unauthorized", code)
		assert.Contains(t, msg, "share your identity", rt.path)
	}
	// The state route needs no identity.
	r := h.do("GET", "/api/roulette/state", "", bearer(anon)...)
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func TestAPIKey_Missing401_Wrong403(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.serve(events.RPCPayoutPending, func(context.Context, []byte) (any, error) { return nil, nil })

	r := h.do("GET", "/api/payouts/pending", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unauthorized", code)

	r = h.do("GET", "/api/payouts/pending", "", key("wrong")...)
	assert.Equal(t, http.StatusForbidden, r.status)
	code, _ = r.errorBody(t)
	assert.Equal(t, "forbidden_apikey", code)

	// A viewer token is no API key.
	r = h.do("GET", "/api/payouts/pending", "", bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusUnauthorized, r.status)

	r = h.do("GET", "/api/payouts/pending", "", key(apiKey)...)
	assert.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `[]`, string(r.body), "no payouts is an empty array, not null")
}

func TestRateLimit_ViewerWritesGet429WithRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Config) { c.ViewerWritePerMin = 2 })
	h.serve(events.RPCPoolClaim, func(_ context.Context, data []byte) (any, error) {
		var req events.PoolClaimRequest
		_ = json.Unmarshal(data, &req)
		return events.PoolClaimReply{CharacterName: req.CharacterName, EnrollmentRequestID: req.EnrollmentRequestID}, nil
	})
	body := `{"characterName":"Norinn","enrollmentRequestId":"6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60"}`
	tok := h.viewer("42")
	for range 2 {
		r := h.do("POST", "/api/payouts/claim", body, bearer(tok)...)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	}
	r := h.do("POST", "/api/payouts/claim", body, bearer(tok)...)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "rate_limited", code)
	assert.Equal(t, "30", r.header.Get("Retry-After"), "2/min refills a token every 30 s")

	// Another viewer has their own budget, and reads are a different class.
	r = h.do("POST", "/api/payouts/claim", body, bearer(h.viewer("43"))...)
	assert.Equal(t, http.StatusCreated, r.status)
	r = h.do("GET", "/api/roulette/state", "", bearer(tok)...)
	assert.Equal(t, http.StatusOK, r.status)

	// The budget comes back with time.
	h.clock.Set(h.clock.Now().Add(30 * time.Second))
	tok = h.viewer("42") // exp follows the clock
	r = h.do("POST", "/api/payouts/claim", body, bearer(tok)...)
	assert.Equal(t, http.StatusCreated, r.status)
}

func TestRateLimit_DesktopPerKeyAndAnonymousViewersByOpaqueID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config.Config) { c.DesktopPerMin = 1; c.ViewerReadPerMin = 1 })
	h.serve(events.RPCPayoutPending, func(context.Context, []byte) (any, error) { return []events.Payout{}, nil })
	assert.Equal(t, http.StatusOK, h.do("GET", "/api/payouts/pending", "", key(apiKey)...).status)
	r := h.do("GET", "/api/payouts/pending", "", key(apiKey)...)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "60", r.header.Get("Retry-After"))

	anonA := h.token(extjwt.Claims{OpaqueUserID: "A1", Role: "viewer"})
	anonB := h.token(extjwt.Claims{OpaqueUserID: "A2", Role: "viewer"})
	assert.Equal(t, http.StatusOK, h.do("GET", "/api/roulette/state", "", bearer(anonA)...).status)
	assert.Equal(t, http.StatusTooManyRequests, h.do("GET", "/api/roulette/state", "", bearer(anonA)...).status)
	assert.Equal(t, http.StatusOK, h.do("GET", "/api/roulette/state", "", bearer(anonB)...).status)
}

func TestEventSub_ProxiedRawAndNeverRateLimited(t *testing.T) {
	t.Parallel()
	var got atomic.Int32
	const raw = "{\"subscription\":{\"type\":\"channel.chat.message\"},  \"event\":{\"message\":{\"text\":\"!twgold Норинн\"}}}\n"
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/twitch/eventsub" || string(b) != raw ||
			r.Header.Get("Twitch-Eventsub-Message-Signature") != "sha256=abc" ||
			r.Header.Get("Twitch-Eventsub-Message-Id") != "m-1" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		got.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "challenge-xyz")
	}))
	t.Cleanup(ingest.Close)
	h := newHarness(t, func(c *config.Config) {
		c.IngestURL = ingest.URL
		c.ViewerReadPerMin, c.ViewerWritePerMin, c.DesktopPerMin = 1, 1, 1
	})
	for range 5 {
		r := h.do("POST", "/api/twitch/eventsub", raw,
			"Twitch-Eventsub-Message-Signature", "sha256=abc", "Twitch-Eventsub-Message-Id", "m-1")
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		assert.Equal(t, "challenge-xyz", string(r.body))
		assert.Equal(t, "text/plain", r.header.Get("Content-Type"))
	}
	assert.EqualValues(t, 5, got.Load())
}

// Issue 12: a client that sends "Expect: 100-continue" (curl does, for any large body)
// made ingest answer "100 Continue" first; the proxy forwarded it through echo's
// response, which took it for the final status and dropped ingest's 400, so the refusal
// went out as 200 OK with an error body. And an oversize body streamed on to ingest
// raced its early refusal: 503 unavailable or 400, by luck.
func TestEventSub_IngestStatusPassesThroughAndOversizeIs400(t *testing.T) {
	var calls atomic.Int32
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // reading sends 100 Continue when asked to
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"code":"invalid_signature","message":"signature does not match","details":{}}`)
	}))
	t.Cleanup(ingest.Close)
	h := newHarness(t, func(c *config.Config) { c.IngestURL = ingest.URL })
	post := func(size int, expect bool) (int, string) {
		req, err := http.NewRequest(http.MethodPost, h.url+"/api/twitch/eventsub", strings.NewReader(strings.Repeat("x", size)))
		require.NoError(t, err)
		if expect {
			req.Header.Set("Expect", "100-continue")
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, expect := range []bool{false, true} {
		status, body := post(64<<10, expect)
		assert.Equal(t, http.StatusBadRequest, status, "Expect: 100-continue=%t: %s", expect, body)
		assert.JSONEq(t, `{"code":"invalid_signature","message":"signature does not match","details":{}}`, body)
	}
	assert.EqualValues(t, 2, calls.Load())
	for _, expect := range []bool{false, true} {
		status, body := post(eventsub.MaxBody+1, expect)
		assert.Equal(t, http.StatusBadRequest, status, "Expect: 100-continue=%t: %s", expect, body)
		assert.JSONEq(t, `{"code":"invalid_payload","message":"body larger than 1048576 bytes","details":{}}`, body)
	}
	assert.EqualValues(t, 2, calls.Load(), "an oversize body never reaches ingest")
}

// Found by the HTTP sweep (issue 12): with two Authorization or X-MGM-ApiKey headers the
// first was taken, whatever the second said. Two are ambiguous: refused, even two good ones.
func TestAuth_TwoCredentialHeadersAreRefused(t *testing.T) {
	h := newHarness(t, nil)
	h.serve(events.RPCPayoutPending, func(context.Context, []byte) (any, error) { return []events.Payout{}, nil })
	good := h.viewer("42")
	for _, c := range []struct {
		path    string
		headers []string
	}{
		{"/api/pool/me", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer x.y.z"}},
		{"/api/pool/me", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer " + good}},
		{"/api/payouts/pending", []string{"X-MGM-ApiKey", apiKey, "X-MGM-ApiKey", "wrong"}},
		{"/api/payouts/pending", []string{"X-MGM-ApiKey", apiKey, "X-MGM-ApiKey", apiKey}},
	} {
		r := h.do("GET", c.path, "", c.headers...)
		assert.Equal(t, http.StatusUnauthorized, r.status, "%s %v: %s", c.path, c.headers[0], r.body)
		code, _ := r.errorBody(t)
		assert.Equal(t, "unauthorized", code)
	}
	assert.Equal(t, http.StatusOK, h.do("GET", "/api/payouts/pending", "", key(apiKey)...).status, "one key is fine")
}

func TestEventSub_IngestDownIs503Body(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil) // IngestURL points at a closed port
	r := h.do("POST", "/api/twitch/eventsub", `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unavailable", code)
}

func TestCORS_PreflightAllowsExtensionOriginOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.do("OPTIONS", "/api/pool/me", "",
		"Origin", extOrigin, "Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "authorization,content-type")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, extOrigin, r.header.Get("Access-Control-Allow-Origin"))
	allowed := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
	assert.Contains(t, allowed, "authorization")
	assert.Contains(t, allowed, "content-type")
	assert.Contains(t, r.header.Get("Access-Control-Allow-Methods"), "GET")

	r = h.do("OPTIONS", "/api/payouts/claim", "",
		"Origin", extOrigin, "Access-Control-Request-Method", "POST")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, extOrigin, r.header.Get("Access-Control-Allow-Origin"))

	r = h.do("OPTIONS", "/api/pool/me", "",
		"Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
	assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))

	// Actual requests, even refused ones, carry the header so the panel can read the error.
	r = h.do("GET", "/api/pool/me", "", "Origin", extOrigin)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, extOrigin, r.header.Get("Access-Control-Allow-Origin"))
}

func TestUnknownRouteAndWrongMethodHaveErrorBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.do("GET", "/api/nope", "")
	assert.Equal(t, http.StatusNotFound, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "not_found", code)
	assert.Equal(t, "application/json", strings.Split(r.header.Get("Content-Type"), ";")[0])

	r = h.do("DELETE", "/api/pool/me", "")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	code, _ = r.errorBody(t)
	assert.Equal(t, "method_not_allowed", code)
}

func TestPanicIs500InternalBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.gw.echo.GET("/test/panic", func(echo.Context) error { panic("boom") })
	r := h.do("GET", "/test/panic", "")
	assert.Equal(t, http.StatusInternalServerError, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, "internal", code)
	assert.NotContains(t, msg, "boom", "the cause stays in the log")
}

func TestDownstreamSilentIs503Unavailable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	tok := h.viewer("42")

	// Nobody listens: no responders.
	r := h.do("GET", "/api/pool/me", "", bearer(tok)...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unavailable", code)

	// Someone listens but never answers: the RPC timeout.
	h.serve(events.RPCPayoutMyLast, func(ctx context.Context, _ []byte) (any, error) {
		time.Sleep(time.Second)
		return nil, nil
	})
	start := time.Now()
	r = h.do("GET", "/api/payouts/my-last", "", bearer(tok)...)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	code, _ = r.errorBody(t)
	assert.Equal(t, "unavailable", code)
	assert.Less(t, time.Since(start), 900*time.Millisecond, "answered at the RPC timeout")
}

func TestDownstreamErrorCodesReachTheClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.serve(events.RPCPayoutMyLast, func(context.Context, []byte) (any, error) {
		return nil, errs.E(errs.NotFound, "no payout yet")
	})
	h.serve(events.RPCPayoutStatus, func(_ context.Context, data []byte) (any, error) {
		var req events.SetStatusRequest
		_ = json.Unmarshal(data, &req)
		if req.Status == "Pending" {
			return nil, errs.E(errs.TerminalStatusChange, "payout is Sent")
		}
		return events.Payout{ID: req.ID, Status: req.Status}, nil
	})
	r := h.do("GET", "/api/payouts/my-last", "", bearer(h.viewer("42"))...)
	assert.Equal(t, http.StatusNotFound, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, "not_found", code)
	assert.Equal(t, "no payout yet", msg)

	id := "6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60"
	r = h.do("PATCH", "/api/payouts/"+id+"/status", `{"status":"Pending"}`, key(apiKey)...)
	assert.Equal(t, http.StatusConflict, r.status)
	code, _ = r.errorBody(t)
	assert.Equal(t, "terminal_status_change_not_allowed", code)

	r = h.do("PATCH", "/api/payouts/"+id+"/status", `{"status":"InProgress"}`, key(apiKey)...)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, id, r.json(t)["id"])
	assert.Equal(t, "InProgress", r.json(t)["status"])
}

func TestDesktopRoutes_ValidateIDsAndBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.serve(events.RPCPayoutAccept, func(_ context.Context, data []byte) (any, error) {
		var req events.AcceptRequest
		_ = json.Unmarshal(data, &req)
		now := time.Now().UTC()
		return events.Payout{ID: req.ID, CharacterName: req.CharacterName, Status: "Pending", AcceptedAt: &now}, nil
	})
	id := "6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60"
	for _, c := range []struct{ method, path, body, code string }{
		{"PATCH", "/api/payouts/not-a-uuid/status", `{"status":"Sent"}`, "invalid_payload"},
		{"PATCH", "/api/payouts/" + id + "/status", `{}`, "invalid_payload"},
		{"PATCH", "/api/payouts/" + id + "/status", `{"status":`, "invalid_payload"},
		{"POST", "/api/payouts/x/confirm-acceptance", `{"characterName":"Norinn"}`, "invalid_payload"},
		{"POST", "/api/payouts/" + id + "/confirm-acceptance", `{"characterName":"N0rinn"}`, "invalid_character_name"},
		{"POST", "/api/payouts/" + id + "/confirm-acceptance", `[]`, "invalid_payload"},
	} {
		r := h.do(c.method, c.path, c.body, key(apiKey)...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s %s %s", c.method, c.path, r.body)
		code, _ := r.errorBody(t)
		assert.Equal(t, c.code, code, "%s %s", c.method, c.path)
	}
	r := h.do("POST", "/api/payouts/"+id+"/confirm-acceptance", `{"characterName":" норинн "}`, key(apiKey)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "Норинн", r.json(t)["characterName"], "trimmed and in the game's form before it is sent on")
	assert.NotNil(t, r.json(t)["acceptedAt"])
}

func TestCandidate_204WhenNoneAndTheCycleOtherwise(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	var has atomic.Bool
	drawn := time.Date(2030, 1, 1, 12, 5, 0, 0, time.UTC)
	h.serve(events.RPCRouletteCandidate, func(context.Context, []byte) (any, error) {
		if !has.Load() {
			return nil, errs.E(errs.NotFound, "no cycle awaits a report")
		}
		return events.Candidate{SpinCycleID: "c1", CharacterName: "Norinn", DrawnAt: drawn, VerifyDeadline: drawn.Add(330 * time.Second)}, nil
	})
	r := h.do("GET", "/api/roulette/candidate", "", key(apiKey)...)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)

	has.Store(true)
	r = h.do("GET", "/api/roulette/candidate", "", key(apiKey)...)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"spinCycleId":"c1","characterName":"Norinn","drawnAt":"2030-01-01T12:05:00Z","verifyDeadline":"2030-01-01T12:10:30Z"}`, string(r.body))
}

func TestVerifyCandidate_400OnBadReportsAndForwardsGoodOnes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	var got atomic.Value
	h.serve(events.RPCRouletteVerify, func(_ context.Context, data []byte) (any, error) {
		var rep events.WhoReport
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, err
		}
		got.Store(rep)
		return events.VerifyReply{SpinCycleID: rep.SpinCycleID, Outcome: events.OutcomeWinner}, nil
	})
	const cycle = "0b9d3f7e-5c1a-4e2b-8f00-112233445566"
	for name, body := range map[string]string{
		"not JSON":          `[MGM_WHO]{`,
		"array":             `[]`,
		"schemaVersion 2":   `{"schemaVersion":2,"spinCycleId":"` + cycle + `","characterName":"Norinn","online":true,"capturedAt":"2030-01-01T12:05:10Z"}`,
		"no schemaVersion":  `{"spinCycleId":"` + cycle + `","characterName":"Norinn","online":true,"capturedAt":"2030-01-01T12:05:10Z"}`,
		"no online":         `{"schemaVersion":1,"spinCycleId":"` + cycle + `","characterName":"Norinn","capturedAt":"2030-01-01T12:05:10Z"}`,
		"no name":           `{"schemaVersion":1,"spinCycleId":"` + cycle + `","online":true,"capturedAt":"2030-01-01T12:05:10Z"}`,
		"no capturedAt":     `{"schemaVersion":1,"spinCycleId":"` + cycle + `","characterName":"Norinn","online":true}`,
		"cycle not a uuid":  `{"schemaVersion":1,"spinCycleId":"42","characterName":"Norinn","online":true,"capturedAt":"2030-01-01T12:05:10Z"}`,
		"capturedAt string": `{"schemaVersion":1,"spinCycleId":"` + cycle + `","characterName":"Norinn","online":true,"capturedAt":"yesterday"}`,
	} {
		r := h.do("POST", "/api/roulette/verify-candidate", body, key(apiKey)...)
		assert.Equal(t, http.StatusBadRequest, r.status, name)
		code, _ := r.errorBody(t)
		assert.Equal(t, "invalid_payload", code, name)
	}
	assert.Nil(t, got.Load(), "nothing malformed reached the roulette")

	r := h.do("POST", "/api/roulette/verify-candidate",
		`{"schemaVersion":1,"spinCycleId":"`+cycle+`","characterName":"Norinn","online":false,"capturedAt":"2030-01-01T12:05:10Z","extra":1}`, key(apiKey)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, events.WhoReport{SchemaVersion: 1, SpinCycleID: cycle, CharacterName: "Norinn", Online: false,
		CapturedAt: time.Date(2030, 1, 1, 12, 5, 10, 0, time.UTC)}, got.Load())
}

func TestVersionHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.do("GET", "/api/version", "")
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	assert.Equal(t, Version, m["version"])
	assert.Contains(t, m["minimumClientVersions"], "desktop")
	assert.Contains(t, m["minimumClientVersions"], "addon")
	assert.Contains(t, m["minimumClientVersions"], "extension")

	assert.Equal(t, http.StatusOK, h.do("GET", "/healthz", "").status)
	assert.Equal(t, http.StatusOK, h.do("GET", "/readyz", "").status)

	h.nc.Close()
	r = h.do("GET", "/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	code, _ := r.errorBody(t)
	assert.Equal(t, "unavailable", code)
	assert.Equal(t, http.StatusOK, h.do("GET", "/healthz", "").status, "alive even when not ready")
}

func TestRun_ServesOnListenerAndStopsWithContext(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	nc, js := testenv.Conn(t, url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, svc.Deps{Config: testConfig(), Log: testenv.Logger(t), NC: nc, JS: js, Listener: ln})
	}()
	testenv.Eventually(t, 5*time.Second, func() bool {
		res, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "readyz over the listener")
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
