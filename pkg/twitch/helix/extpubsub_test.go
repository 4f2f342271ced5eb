package helix_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
	"github.com/mimiron/mgm/pkg/twitch/fakehelix"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

func pubsubConfig(f *fakehelix.Server, secrets ...string) config.Config {
	cfg := config.Defaults()
	cfg.HelixBaseURL = f.URL()
	cfg.ExtensionClientID = fakehelix.ExtensionClientID
	cfg.ExtensionSecrets = secrets
	return cfg
}

func TestExtensionPubSub_SendsWhatTheFakeAcceptsAndRecords(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	defer f.Close()
	current, old := extjwt.NewSecret("current"), extjwt.NewSecret("old")
	require.NoError(t, f.SetExtensionSecrets(old, current))
	p, err := helix.NewExtensionPubSub(pubsubConfig(f, current, old))
	require.NoError(t, err)

	require.NoError(t, p.Send(context.Background(), "42", "broadcast", `{"v":1}`))
	require.NoError(t, p.Send(context.Background(), "42", "whisper-U9", `{"v":2}`))
	got := f.PubSubMessages(0)
	require.Len(t, got, 2)
	assert.Equal(t, "broadcast", got[0].Target)
	assert.Equal(t, "whisper-U9", got[1].Target)
	assert.Equal(t, `{"v":2}`, got[1].Message)
}

func TestExtensionPubSub_ErrorsCarryCodesAndTheReset(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	defer f.Close()
	secret := extjwt.NewSecret("s")
	require.NoError(t, f.SetExtensionSecrets(secret))
	p, err := helix.NewExtensionPubSub(pubsubConfig(f, secret))
	require.NoError(t, err)
	ctx := context.Background()

	err = p.Send(ctx, "42", "broadcast", strings.Repeat("x", helix.MaxPubSubMessage+1))
	assert.True(t, errs.Has(err, errs.Invalid), "%v", err)
	assert.Zero(t, f.Requests("POST /helix/extensions/pubsub"), "an oversized message is not sent")

	f.SetPubSubLimit(1)
	require.NoError(t, p.Send(ctx, "42", "broadcast", "{}"))
	err = p.Send(ctx, "42", "broadcast", "{}")
	assert.True(t, errs.Has(err, errs.RateLimited), "%v", err)
	reset, ok := helix.RateLimitReset(err)
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(time.Minute), reset, 5*time.Second)

	f.FailPubSubNext(1, http.StatusBadGateway)
	f.SetPubSubLimit(0)
	assert.True(t, errs.Has(p.Send(ctx, "42", "broadcast", "{}"), errs.Unavailable))

	wrong, err := helix.NewExtensionPubSub(pubsubConfig(f, extjwt.NewSecret("unknown")))
	require.NoError(t, err)
	assert.True(t, errs.Has(wrong.Send(ctx, "42", "broadcast", "{}"), errs.Unauthorized))
}

func TestExtensionPubSub_NeedsTheExtensionConfigured(t *testing.T) {
	t.Parallel()
	f := fakehelix.New()
	defer f.Close()
	_, err := helix.NewExtensionPubSub(pubsubConfig(f))
	assert.Error(t, err)
	cfg := pubsubConfig(f, "not base64!")
	_, err = helix.NewExtensionPubSub(cfg)
	assert.Error(t, err)
}
