// Package natsx holds the NATS plumbing every service shares: the embedded server,
// connections, idempotent stream and consumer provisioning, request/reply with the
// error vocabulary in headers, and a consumer loop that maps errors to Ack, Nak or Term.
package natsx

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EmbeddedOptions configures an in-process NATS server.
type EmbeddedOptions struct {
	StoreDir string // JetStream storage directory (required)
	Port     int    // 0 picks a free port
}

// StartEmbedded starts a JetStream-enabled NATS server bound to 127.0.0.1 that fsyncs
// every write (SyncAlways), so an acknowledged publish survives a crash.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "mgm-embedded",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		SyncAlways: true,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 1 << 20,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 10s")
	}
	return s, nil
}

// Connect dials url with reconnects forever: services ride out a NATS restart.
func Connect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(true),
	)
	if err != nil {
		return nil, fmt.Errorf("connect nats %s: %w", url, err)
	}
	return nc, nil
}

// Dial is Connect and the deployment's JetStream handle on the connection: every stream
// and bucket created through it keeps replicas copies (WithReplicas). The caller closes
// nc; on an error nothing is left open.
func Dial(url, name string, replicas int) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := Connect(url, name)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, WithReplicas(js, replicas), nil
}
