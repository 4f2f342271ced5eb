package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// DocumentedRoutes is every operation proto/openapi.yaml documents, as sorted
// "METHOD /path" lines ("GET /api/streamers/{streamerId}/gift-queue"): what the
// gateway's router must serve and the HTTP sweep must cover. The file is found from the
// working directory upwards.
func DocumentedRoutes(t testing.TB) []string {
	t.Helper()
	path := findUp(t, "proto/openapi.yaml")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	pathLine := regexp.MustCompile(`^  (/[^:\s]*):\s*$`)
	opLine := regexp.MustCompile(`^    (get|post|put|patch|delete):\s*$`)
	var out []string
	current := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := pathLine.FindStringSubmatch(sc.Text()); m != nil {
			current = m[1]
		} else if m := opLine.FindStringSubmatch(sc.Text()); m != nil && current != "" {
			out = append(out, strings.ToUpper(m[1])+" "+current)
		} else if strings.HasPrefix(sc.Text(), "components:") {
			current = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(out) == 0 {
		t.Fatalf("%s documents no operation", path)
	}
	sort.Strings(out)
	return out
}

// findUp is rel in the working directory or the nearest directory above it that has it.
func findUp(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("%s not found above the working directory", rel)
		}
		dir = parent
	}
}
