package app

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"

	"github.com/mimiron/mgm/services/pool/domain"
)

// downRepo is a repository whose database is unreachable.
type downRepo struct{ Repository }

func (downRepo) EnrollBatch(context.Context, []EnrollRequest) ([]EnrollOutcome, error) {
	return nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

func (downRepo) Enroll(context.Context, EnrollRequest) (EnrollResult, error) {
	return EnrollResult{}, errors.New("connection refused")
}

func TestHandleChatBatch_StorageOutageIsTemporaryOnlyForMessagesThatNeedStorage(t *testing.T) {
	s := &Service{Repo: downRepo{}, Policy: domain.ChatPolicy{BroadcasterID: "b"}, Log: zap.NewNop()}
	cmd := func(id, text string, badges ...string) events.ChatCommand {
		return events.ChatCommand{MessageID: id, BroadcasterUserID: "b", UserID: "u" + id, Text: text, Badges: badges}
	}
	got := s.HandleChatBatch(context.Background(), []events.ChatCommand{
		cmd("1", "!twgold Alice", "subscriber"),
		cmd("2", "!twgold Alice"),                     // not a subscriber: ignored without storage
		cmd("3", "!twgold A1", "subscriber"),          // invalid name: refused without storage
		{BroadcasterUserID: "b", Text: "!twgold Bob"}, // no ids: poison
	})
	assert.True(t, errs.Temporary(errs.CodeOf(got[0])), "retry later: %v", got[0])
	assert.NoError(t, got[1])
	assert.NoError(t, got[2])
	assert.Equal(t, errs.Invalid, errs.CodeOf(got[3]))
	assert.False(t, errs.Temporary(errs.CodeOf(got[3])))
}

func TestClaim_StorageOutageAnswersUnavailable(t *testing.T) {
	s := &Service{Repo: downRepo{}, Log: zap.NewNop()}
	_, err := s.Claim(context.Background(), events.PoolClaimRequest{TwitchUserID: "u", CharacterName: "Alice", EnrollmentRequestID: "r"})
	assert.Equal(t, errs.Unavailable, errs.CodeOf(err))
}

func TestCryptoRandom_StaysBelowTheLimit(t *testing.T) {
	for range 1000 {
		v, err := CryptoRandom()
		assert.NoError(t, err)
		assert.GreaterOrEqual(t, v, int64(0))
		assert.Less(t, v, RandomLimit)
	}
}
