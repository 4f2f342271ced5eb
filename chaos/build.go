package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// serviceNames are the services, each built from ./services/<name> into its own binary.
var serviceNames = []string{"pool", "payout", "gift-queue", "roulette", "helix-notifier", "ingest", "gateway"}

// natsServerModule is the nats-server main package; it is built from the module cache at
// the version the repository embeds (pkg/go.mod), so the cluster runs the tested server.
const natsServerModule = "github.com/nats-io/nats-server/v2"

// repoRoot finds the repository (the directory holding go.work) from the working
// directory upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "services")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the repository (no go.work above the working directory)")
		}
		dir = parent
	}
}

// build compiles every service and nats-server into bin.
func build(root, bin string) error {
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, s := range serviceNames {
		args = append(args, "./services/"+s)
	}
	if err := goCmd(root, args...); err != nil {
		return err
	}
	// Built from pkg, whose go.mod pins the version the services embed.
	return goCmd(filepath.Join(root, "pkg"), "build", "-o", filepath.Join(bin, "nats-server"), natsServerModule)
}

func goCmd(dir string, args ...string) error {
	gobin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	} else if _, err := os.Stat("/usr/local/go/bin/go"); err == nil {
		gobin = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
