package natsx_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/natsx"
	"github.com/mimiron/mgm/pkg/testenv"
)

// startCluster starts three clustered JetStream servers in this process and returns a
// client URL naming all three. Every node lists every route (a JetStream cluster
// refuses to start without configured routes), so the cluster ports are picked first.
func startCluster(t *testing.T) string {
	t.Helper()
	var routes []*url.URL
	var ports []int
	for i := 0; i < 3; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		routes = append(routes, &url.URL{Scheme: "nats", Host: l.Addr().String()})
		require.NoError(t, l.Close())
	}
	servers := make([]*server.Server, 3)
	for i := range servers {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: t.TempDir(), SyncAlways: true, NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "mgm-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}
		s, err := server.NewServer(opts)
		require.NoError(t, err)
		go s.Start()
		t.Cleanup(s.Shutdown)
		servers[i] = s
	}
	var urls []string
	for _, s := range servers {
		require.True(t, s.ReadyForConnections(10*time.Second))
		urls = append(urls, s.ClientURL())
	}
	return strings.Join(urls, ",")
}

func TestWithReplicas_StreamsAndBucketsKeepThreeCopiesOnACluster(t *testing.T) {
	t.Parallel()
	urls := startCluster(t)
	nc, err := nats.Connect(urls)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	raw, err := jetstream.New(nc)
	require.NoError(t, err)
	js := natsx.WithReplicas(raw, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The meta group elects a leader a moment after the routes connect.
	require.Eventually(t, func() bool {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return natsx.EnsureStreams(c, js, events.Stream{Name: "R3TEST", Subjects: []string{"r3.>"}}) == nil
	}, 25*time.Second, 100*time.Millisecond, "stream never created on the cluster")
	info, err := raw.Stream(ctx, "R3TEST")
	require.NoError(t, err)
	si, err := info.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, si.Config.Replicas)
	require.NotNil(t, si.Cluster)
	assert.Len(t, si.Cluster.Replicas, 2, "a leader and two followers")

	// Every replica re-ensures its streams at start: an update keeps the three copies.
	require.NoError(t, natsx.EnsureStreams(ctx, js, events.Stream{Name: "R3TEST", Subjects: []string{"r3.>"}}))
	si, err = info.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, si.Config.Replicas)

	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "R3KV", History: 1})
	require.NoError(t, err)
	st, err := kv.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas)

	// A consumer created through the handle inherits the stream's copies.
	c, err := natsx.EnsureConsumer(ctx, js, "R3TEST", jetstream.ConsumerConfig{Durable: "d"})
	require.NoError(t, err)
	ci, err := c.Info(ctx)
	require.NoError(t, err)
	require.NotNil(t, ci.Cluster)
	assert.Len(t, ci.Cluster.Replicas, 2)
}

func TestWithReplicas_OneLeavesTheHandleAlone(t *testing.T) {
	t.Parallel()
	_, u := testenv.NATS(t)
	_, js := testenv.Conn(t, u)
	assert.Equal(t, js, natsx.WithReplicas(js, 1))
	assert.Equal(t, js, natsx.WithReplicas(js, 0))
}
