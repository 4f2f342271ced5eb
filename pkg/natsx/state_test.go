package natsx_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

type doc struct {
	Version int64  `json:"version"`
	Note    string `json:"note"`
}

func docVersion(d doc) int64 { return d.Version }

func TestPutState_ANewerDocumentIsNeverOverwritten(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx := context.Background()
	kv, err := natsx.StateBucket(ctx, js)
	require.NoError(t, err)
	again, err := natsx.StateBucket(ctx, js)
	require.NoError(t, err, "opening the bucket again finds it")
	assert.Equal(t, kv.Bucket(), again.Bucket())

	read := func() doc {
		e, err := kv.Get(ctx, "k")
		require.NoError(t, err)
		var d doc
		require.NoError(t, json.Unmarshal(e.Value(), &d))
		return d
	}
	require.NoError(t, natsx.PutState(ctx, kv, "k", doc{Version: 2, Note: "two"}, docVersion))
	require.NoError(t, natsx.PutState(ctx, kv, "k", doc{Version: 1, Note: "one"}, docVersion))
	assert.Equal(t, doc{Version: 2, Note: "two"}, read(), "a stale writer does not win")
	e, err := kv.Get(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, natsx.PutState(ctx, kv, "k", doc{Version: 2, Note: "two"}, docVersion))
	e2, err := kv.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, e.Revision(), e2.Revision(), "the same document is not written again")
	require.NoError(t, natsx.PutState(ctx, kv, "k", doc{Version: 3, Note: "three"}, docVersion))
	assert.Equal(t, int64(3), read().Version)
}

func TestPutState_ConcurrentWritersEndWithTheNewest(t *testing.T) {
	t.Parallel()
	_, url := testenv.NATS(t)
	_, js := testenv.Conn(t, url)
	ctx := context.Background()
	kv, err := natsx.StateBucket(ctx, js)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for v := int64(1); v <= 8; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, natsx.PutState(ctx, kv, "k", doc{Version: v}, docVersion))
		}()
	}
	wg.Wait()
	e, err := kv.Get(ctx, "k")
	require.NoError(t, err)
	var d doc
	require.NoError(t, json.Unmarshal(e.Value(), &d))
	assert.Equal(t, int64(8), d.Version)
}
