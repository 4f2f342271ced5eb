package service

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPI_DocumentsExactlyTheRoutesServed keeps proto/openapi.yaml and the router
// in step: every served route is documented and nothing documented is missing.
func TestOpenAPI_DocumentsExactlyTheRoutesServed(t *testing.T) {
	f, err := os.Open("../../../proto/openapi.yaml")
	require.NoError(t, err)
	defer f.Close()
	pathLine := regexp.MustCompile(`^  (/[^:\s]*):\s*$`)
	opLine := regexp.MustCompile(`^    (get|post|put|patch|delete):\s*$`)
	var documented []string
	current := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := pathLine.FindStringSubmatch(sc.Text()); m != nil {
			current = m[1]
		} else if m := opLine.FindStringSubmatch(sc.Text()); m != nil && current != "" {
			documented = append(documented, strings.ToUpper(m[1])+" "+current)
		} else if strings.HasPrefix(sc.Text(), "components:") {
			current = ""
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, documented)

	h := newHarness(t, nil)
	param := regexp.MustCompile(`:(\w+)`)
	var served []string
	for _, r := range h.gw.echo.Routes() {
		if strings.HasPrefix(r.Path, "/test/") {
			continue
		}
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	sort.Strings(documented)
	sort.Strings(served)
	assert.Equal(t, served, documented)
}
