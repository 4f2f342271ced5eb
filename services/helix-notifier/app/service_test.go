package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/services/helix-notifier/domain"
)

// downRepo is a database that does not answer.
type downRepo struct{}

func (downRepo) Update(context.Context, string, *domain.Announcement, func(*domain.Announcement) error) (*domain.Announcement, error) {
	return nil, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
}
func (downRepo) Get(context.Context, string) (*domain.Announcement, error) {
	return nil, errors.New("connection refused")
}
func (downRepo) Unsettled(context.Context) ([]*domain.Announcement, error) {
	return nil, errors.New("connection refused")
}

type noCount struct{}

func (noCount) Inc() {}

// On the delivery that should give up, a database that is down is waited for: the
// delivery asks to be tried again instead of ending the announcement unrecorded.
func TestAnnounce_DatabaseDownOnTheLastDeliveryIsRetriedNotDropped(t *testing.T) {
	t.Parallel()
	s := &Service{
		Repo: downRepo{}, Breaker: NewBreaker(5, time.Second, zap.NewNop()), Log: zap.NewNop(), Now: time.Now,
		Metrics: Metrics{noCount{}, noCount{}, noCount{}, noCount{}, noCount{}},
		S:       Settings{Backoff: []time.Duration{time.Second}, PostTimeout: time.Second, StaleAfter: time.Minute},
	}
	for _, last := range []bool{false, true} {
		err := s.Announce(context.Background(), Request{PayoutID: "p1", CharacterName: "Thrall", Delivery: 14, LastDelivery: last})
		d, ok := errs.LaterDelay(err)
		assert.True(t, ok, "last=%v: %v", last, err)
		assert.Equal(t, time.Second, d)
	}
}
