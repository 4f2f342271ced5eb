package allinone

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnsurePostgres runs scripts/ensure-postgres.sh (found from the working directory
// upwards) and returns the URL it prints.
func EnsurePostgres(ctx context.Context, dataDir string) (string, error) {
	script, err := findUp("scripts/ensure-postgres.sh")
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is unset and scripts/ensure-postgres.sh was not found: %w", err)
	}
	abs, _ := filepath.Abs(dataDir)
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "MGM_DATA_DIR="+abs)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ensure-postgres: %w", err)
	}
	url := strings.TrimSpace(string(out))
	if url == "" {
		return "", fmt.Errorf("ensure-postgres printed no URL")
	}
	return url, nil
}

func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
