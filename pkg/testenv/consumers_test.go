package testenv_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/testenv"
)

func TestCaughtUp_CountsAMessageTheMomentItIsStoredUntilItIsAcknowledged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T_CAUGHT", Subjects: []string{"t.caught.>"}})
	require.NoError(t, err)
	c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "d", FilterSubject: "t.caught.mine.>", AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	caughtUp := func() bool {
		ok, err := testenv.CaughtUp(ctx, js, "T_CAUGHT", "d")
		require.NoError(t, err)
		return ok
	}
	assert.True(t, caughtUp(), "an empty stream")

	_, err = js.Publish(ctx, "t.caught.other", nil)
	require.NoError(t, err)
	assert.True(t, caughtUp(), "a message outside the consumer's filter")

	for i := range 50 { // no wait between the publish and the check
		_, err = js.Publish(ctx, "t.caught.mine.x", nil)
		require.NoError(t, err)
		require.False(t, caughtUp(), "publish %d: stored, not yet taken", i)
		msgs, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		require.NoError(t, err)
		for m := range msgs.Messages() {
			require.False(t, caughtUp(), "publish %d: taken, not yet acknowledged", i)
			require.NoError(t, m.DoubleAck(ctx))
		}
		require.NoError(t, msgs.Error())
		require.True(t, caughtUp(), "publish %d: acknowledged", i)
	}

	_, err = js.Publish(ctx, "t.caught.mine.y", nil)
	require.NoError(t, err)
	msgs, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	require.NoError(t, err)
	for m := range msgs.Messages() {
		require.NoError(t, m.NakWithDelay(time.Hour))
	}
	assert.False(t, caughtUp(), "a message held back for later still awaits its acknowledgement")

	all, err := testenv.AllCaughtUp(ctx, js, "T_CAUGHT", "NO_SUCH_STREAM")
	require.NoError(t, err)
	assert.False(t, all)
}
