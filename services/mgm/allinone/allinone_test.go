package allinone

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/svc"
	notifier "github.com/mimiron/mgm/services/helix-notifier/service"
)

// Found trying `make run` from a clean clone with only TWITCH_CLIENT_ID set: it exited
// with "mgm: helix-notifier: helix-notifier: TWITCH_BROADCASTER_ID is required" — the
// notifier names itself in its error and the one-process mode named it again.
func TestServiceError_NamesTheServiceOnce(t *testing.T) {
	cfg := config.Defaults()
	cfg.BroadcasterID = ""
	err := notifier.Run(context.Background(), svc.Deps{Config: cfg})
	require.Error(t, err)
	assert.Equal(t, "helix-notifier: TWITCH_BROADCASTER_ID is required", serviceError("helix-notifier", err).Error())

	// A service whose error does not name it is named; the error stays matchable.
	cause := errors.New("connection refused")
	err = serviceError("pool", cause)
	assert.Equal(t, "pool: connection refused", err.Error())
	assert.ErrorIs(t, err, cause)
}
