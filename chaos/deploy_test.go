package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The deployments must run what `make chaos` tested: the services with the replica
// counts the run kills, a three-node NATS cluster that fsyncs every write, three copies
// of every stream, probes on every service, and the nats-server version the project
// embeds.

func root(t *testing.T) string {
	t.Helper()
	r, err := repoRoot()
	require.NoError(t, err)
	return r
}

// docs splits a multi-document YAML stream.
func docs(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if m != nil {
			out = append(out, m)
		}
	}
}

// dig walks maps and lists ("containers", "0", "image").
func dig(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// embeddedNATS is the nats-server version the project builds against (pkg/go.mod).
func embeddedNATS(t *testing.T) string {
	t.Helper()
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok)
	for _, d := range info.Deps {
		if d.Path == natsServerModule {
			return strings.TrimPrefix(d.Version, "v")
		}
	}
	t.Fatalf("%s is not a dependency", natsServerModule)
	return ""
}

// sameMinor reports whether an image tag like "2.15-alpine" is the version's minor line.
func sameMinor(tag, version string) bool {
	m := regexp.MustCompile(`^(\d+)\.(\d+)`).FindString(tag)
	parts := strings.SplitN(version, ".", 3)
	return len(parts) >= 2 && m == parts[0]+"."+parts[1]
}

// checkNATSConf parses a nats.conf as nats-server does and checks the cluster the
// chaos run relies on.
func checkNATSConf(t *testing.T, conf, serverName string) {
	t.Helper()
	conf = strings.NewReplacer("$POD_NAME", serverName, "$SERVER_NAME", serverName).Replace(conf)
	p := filepath.Join(t.TempDir(), "nats.conf")
	require.NoError(t, os.WriteFile(p, []byte(conf), 0o644))
	opts, err := server.ProcessConfigFile(p)
	require.NoError(t, err, "nats-server refuses the configuration")
	assert.Equal(t, serverName, opts.ServerName)
	assert.True(t, opts.JetStream, "JetStream on")
	assert.True(t, opts.SyncAlways, "sync_interval: always (fsync before acknowledging)")
	assert.Len(t, opts.Routes, 3, "routes to the three nodes")
	assert.NotEmpty(t, opts.Cluster.Name)
}

func TestDeployments_KubernetesRendersWhatChaosRuns(t *testing.T) {
	t.Parallel()
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl is missing: scripts/ensure-kubectl.sh installs it (make test runs it)")
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(root(t), "deployments", "k8s")).CombinedOutput()
	require.NoError(t, err, "kubectl kustomize deployments/k8s:\n%s", out)
	objs := map[string]map[string]any{}
	for _, d := range docs(t, out) {
		objs[str(d["kind"])+"/"+str(dig(d, "metadata", "name"))] = d
	}

	cfg := objs["ConfigMap/mgm-config"]
	require.NotNil(t, cfg)
	assert.Equal(t, "3", str(dig(cfg, "data", "MGM_NATS_REPLICAS")), "three copies of every stream")
	assert.Len(t, strings.Split(str(dig(cfg, "data", "NATS_URL")), ","), 3, "clients know every NATS node")

	for _, name := range serviceNames {
		dep := objs["Deployment/"+name]
		require.NotNil(t, dep, "Deployment %s", name)
		assert.EqualValues(t, replicasOf(name), dig(dep, "spec", "replicas"), "%s replicas as the chaos run", name)
		c := dig(dep, "spec", "template", "spec", "containers", "0")
		for _, r := range []string{"requests", "limits"} {
			for _, k := range []string{"cpu", "memory"} {
				assert.NotEmpty(t, str(dig(c, "resources", r, k)), "%s resources.%s.%s", name, r, k)
			}
		}
		assert.Equal(t, "/readyz", str(dig(c, "readinessProbe", "httpGet", "path")), "%s readiness", name)
		assert.Equal(t, "/healthz", str(dig(c, "livenessProbe", "httpGet", "path")), "%s liveness", name)
		ops := false
		for _, e := range dig(c, "env").([]any) {
			ops = ops || str(dig(e, "name")) == "MGM_OPS_ADDR"
		}
		assert.True(t, ops, "%s serves its probes on MGM_OPS_ADDR", name)
		pdb := objs["PodDisruptionBudget/"+name]
		require.NotNil(t, pdb, "PodDisruptionBudget %s", name)
		assert.Equal(t, name, str(dig(pdb, "spec", "selector", "matchLabels", "app")))
	}

	nats := objs["StatefulSet/nats"]
	require.NotNil(t, nats)
	assert.EqualValues(t, 3, dig(nats, "spec", "replicas"))
	image := str(dig(nats, "spec", "template", "spec", "containers", "0", "image"))
	assert.True(t, sameMinor(strings.TrimPrefix(image, "nats:"), embeddedNATS(t)), "image %s runs the embedded nats-server %s", image, embeddedNATS(t))
	require.NotNil(t, objs["PodDisruptionBudget/nats"])
	checkNATSConf(t, str(dig(objs["ConfigMap/nats-config"], "data", "nats.conf")), "nats-1")

	ing := objs["Ingress/mgm"]
	require.NotNil(t, ing)
	assert.Equal(t, "ingest", str(dig(ing, "spec", "rules", "0", "http", "paths", "0", "backend", "service", "name")))
}

// composeConfig renders docker-compose.yml as `docker compose config` does: with the
// Docker CLI's compose plugin when it is installed, otherwise with compose-go, the
// library that command is built on (the Compose Specification's reference loader).
func composeConfig(t *testing.T) []byte {
	t.Helper()
	env := []string{"TWITCH_BROADCASTER_ID=1", "TWITCH_EVENTSUB_SECRET=0123456789ab", "MGM_API_KEY=k"}
	file := filepath.Join(root(t), "docker-compose.yml")
	if exec.Command("docker", "compose", "version").Run() == nil {
		cmd := exec.Command("docker", "compose", "-f", file, "config")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "docker compose config:\n%s", out)
		return out
	}
	t.Log("docker compose is not installed: rendering with compose-go")
	o, err := cli.NewProjectOptions([]string{file}, cli.WithEnv(env), cli.WithName("mgm"))
	require.NoError(t, err)
	p, err := o.LoadProject(context.Background())
	require.NoError(t, err, "docker-compose.yml does not load")
	out, err := p.MarshalYAML()
	require.NoError(t, err)
	return out
}

func TestDeployments_ComposeRendersWhatChaosRuns(t *testing.T) {
	t.Parallel()
	all := docs(t, composeConfig(t))
	require.Len(t, all, 1)
	services := dig(all[0], "services").(map[string]any)
	conf, err := os.ReadFile(filepath.Join(root(t), "deployments", "nats", "nats.conf"))
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("nats-%d", i)
		n := services[name]
		require.NotNil(t, n, name)
		assert.Equal(t, name, str(dig(n, "environment", "SERVER_NAME")))
		assert.True(t, sameMinor(strings.TrimPrefix(str(dig(n, "image")), "nats:"), embeddedNATS(t)), "%s runs the embedded nats-server", name)
		assert.NotNil(t, dig(n, "healthcheck"), "%s healthcheck", name)
		checkNATSConf(t, string(conf), name)
	}
	for _, name := range serviceNames {
		s := services[name]
		require.NotNil(t, s, name)
		assert.EqualValues(t, replicasOf(name), dig(s, "deploy", "replicas"), "%s replicas as the chaos run", name)
		assert.Equal(t, "3", str(dig(s, "environment", "MGM_NATS_REPLICAS")), name)
		assert.Len(t, strings.Split(str(dig(s, "environment", "NATS_URL")), ","), 3, name)
		assert.NotEmpty(t, str(dig(s, "environment", "MGM_OPS_ADDR")), name)
		assert.Equal(t, "healthcheck", str(dig(s, "healthcheck", "test", "2")), "%s: the binary checks its own /readyz", name)
	}
	assert.NotNil(t, services["edge"], "one public address in front of the replicas")
}

// The dashboard charts metrics the services export: every mgm_* name in its queries is
// a metric name written in the services' or pkg's Go code (helix-notifier builds its
// names from a prefix, which counts).
func TestDeployments_DashboardChartsMetricsTheServicesExport(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(root(t), "deployments", "grafana", "mgm-dashboard.json"))
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	var literals []string
	re := regexp.MustCompile(`"(mgm_[a-z_]+)"`)
	for _, dir := range []string{"pkg", "services"} {
		require.NoError(t, filepath.WalkDir(filepath.Join(root(t), dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := os.ReadFile(p)
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				literals = append(literals, m[1])
			}
			return err
		}))
	}
	exported := func(name string) bool {
		for _, l := range literals {
			if l == name || strings.HasSuffix(l, "_") && strings.HasPrefix(name, l) {
				return true
			}
		}
		return false
	}
	names := regexp.MustCompile(`mgm_[a-z_]+`)
	charted := 0
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			for _, n := range names.FindAllString(tg.Expr, -1) {
				n = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
				assert.True(t, exported(n), "panel %q charts %s, which no service exports", p.Title, n)
				charted++
			}
		}
	}
	assert.Greater(t, charted, 10)
}
