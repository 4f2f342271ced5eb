package app

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/mimiron/mgm/pkg/errs"

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
	cmd := func(id, text string, badges ...string) domain.ChatMessage {
		return domain.ChatMessage{MessageID: id, BroadcasterUserID: "b", UserID: "u" + id, Text: text, Badges: badges}
	}
	got := s.HandleChatBatch(context.Background(), []domain.ChatMessage{
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
	_, err := s.Claim(context.Background(), ClaimRequest{TwitchUserID: "u", CharacterName: "Alice", RequestID: "r"})
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

// The chat path refuses the look-alike of issue 12 without storage, and its log line
// says why in the game's words.
func TestHandleChatBatch_LookAlikeNameIsRefusedWithTheGamesReasonInTheLog(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := &Service{Repo: downRepo{}, Policy: domain.ChatPolicy{BroadcasterID: "b"}, Log: zap.New(core)}
	got := s.HandleChatBatch(context.Background(), []domain.ChatMessage{{
		MessageID: "1", BroadcasterUserID: "b", UserID: "u1", Text: "!twgold Thr\u0430ll", Badges: []string{"subscriber"},
	}})
	assert.NoError(t, got[0], "refused without touching storage")
	refused := logs.FilterMessage("chat enrollment refused").All()
	if assert.Len(t, refused, 1) {
		f := refused[0].ContextMap()
		assert.Equal(t, "invalid_character_name", f["code"])
		assert.Equal(t, "mixed_languages", f["reason"])
		assert.Equal(t, "Names must contain only one language", f["message"])
		assert.Equal(t, "Имя должно состоять из букв одного языка", f["messageRu"])
	}
}
