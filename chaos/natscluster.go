package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsCluster is three nats-server processes clustered over routes, JetStream on each
// with fsync on every write: the shape of deployments/k8s/02-nats.yaml.
type natsCluster struct {
	nodes []*natsNode
}

type natsNode struct {
	name       string // server_name, n1..n3
	clientPort int
	proc       *proc
}

// natsConf is one node's configuration. sync_interval: always makes JetStream fsync
// every write before acknowledging it, as deployments/nats/nats.conf does.
const natsConf = `server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
max_payload: 1MB
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: mgm-chaos
  listen: 127.0.0.1:%d
  routes: [%s]
}
`

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startNATS(dir, bin string) (*natsCluster, error) {
	const n = 3
	client, monitor, route := make([]int, n), make([]int, n), make([]int, n)
	for i := 0; i < n; i++ {
		for _, p := range []*int{&client[i], &monitor[i], &route[i]} {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			*p = port
		}
	}
	var routes []string
	for _, p := range route {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &natsCluster{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("n%d", i+1)
		store := filepath.Join(dir, "nats", name)
		if err := os.MkdirAll(store, 0o755); err != nil {
			return nil, err
		}
		conf := filepath.Join(dir, "nats", name+".conf")
		body := fmt.Sprintf(natsConf, name, client[i], monitor[i], store, route[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			return nil, err
		}
		p := &proc{name: "nats-" + name, bin: filepath.Join(bin, "nats-server"), args: []string{"-c", conf},
			env: os.Environ(), logPath: filepath.Join(dir, "logs", "nats-"+name+".log")}
		if err := p.start(); err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, &natsNode{name: name, clientPort: client[i], proc: p})
	}
	return c, nil
}

// URL names every node; clients fail over between them.
func (c *natsCluster) URL() string {
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.clientPort))
	}
	return strings.Join(urls, ",")
}

// waitReady waits until the cluster elected a JetStream meta leader and answers.
func (c *natsCluster) waitReady(ctx context.Context) error {
	nc, err := nats.Connect(c.URL(), nats.Name("chaos-probe"), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("NATS cluster not ready: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *natsCluster) node(name string) *natsNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (c *natsCluster) stop() {
	for _, n := range c.nodes {
		n.proc.stop(5 * time.Second)
	}
}

// streamLeader names the node leading stream (the worst node to lose for it).
func streamLeader(ctx context.Context, js jetstream.JetStream, stream string) (string, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return "", err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", fmt.Errorf("stream %s has no leader", stream)
	}
	return info.Cluster.Leader, nil
}
