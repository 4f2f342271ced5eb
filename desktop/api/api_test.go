package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
)

func TestPermanent_SortsFailures(t *testing.T) {
	cases := []struct {
		err  error
		perm bool
	}{
		{errors.New("connection refused"), false},
		{&Error{Status: 500}, false},
		{&Error{Status: 503, Code: errs.Unavailable}, false},
		{&Error{Status: 429, Code: errs.RateLimited}, false},
		{&Error{Status: 408}, false},
		{&Error{Status: 401, Code: errs.Unauthorized}, false}, // the streamer fixes the key
		{&Error{Status: 403, Code: errs.ForbiddenAPIKey}, false},
		{&Error{Status: 403, Code: errs.Forbidden}, true},
		{&Error{Status: 404, Code: errs.NotFound}, true},
		{&Error{Status: 400, Code: errs.OutOfSequence}, true},
		{&Error{Status: 409, Code: errs.TerminalStatusChange}, true},
	}
	for _, c := range cases {
		assert.Equal(t, c.perm, Permanent(c.err), "%v", c.err)
	}
}

func TestClient_DecodesErrorBodyAndRetryAfter(t *testing.T) {
	var gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("X-MGM-ApiKey")
		switch r.URL.Path {
		case "/api/roulette/candidate":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Retry-After", "7")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"code":"rate_limited","message":"slow down","details":{}}`))
		}
	}))
	defer srv.Close()
	c := New(func() Settings { return Settings{BaseURL: srv.URL + "/", APIKey: "k"} })
	cand, err := c.Candidate(context.Background())
	require.NoError(t, err)
	assert.Nil(t, cand, "204 means no candidate")
	assert.Equal(t, "k", gotKey)

	err = c.SetStatus(context.Background(), "p", "Sent")
	require.Error(t, err)
	assert.Equal(t, errs.RateLimited, CodeOf(err))
	assert.Equal(t, 429, StatusOf(err))
	assert.Equal(t, 7*time.Second, RetryAfter(err))
	assert.False(t, Permanent(err))
}

func TestClient_NoBaseURL(t *testing.T) {
	c := New(func() Settings { return Settings{} })
	_, err := c.Pending(context.Background())
	assert.Error(t, err)
	assert.False(t, Permanent(err))
}
