package service

import (
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"
)

// TestOpenAPI_DocumentsExactlyTheRoutesServed keeps proto/openapi.yaml and the router
// in step: every served route is documented and nothing documented is missing.
func TestOpenAPI_DocumentsExactlyTheRoutesServed(t *testing.T) {
	t.Parallel()
	documented := testenv.DocumentedRoutes(t)

	h := newHarness(t, nil)
	param := regexp.MustCompile(`:(\w+)`)
	var served []string
	for _, r := range h.gw.echo.Routes() {
		if strings.HasPrefix(r.Path, "/test/") {
			continue
		}
		served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	sort.Strings(served)
	assert.Equal(t, served, documented)
}

// TestOpenAPI_DocumentsEveryErrorCodeWithItsStatus keeps the error vocabulary of
// proto/openapi.yaml (Error.code) and pkg/errs in step: every code, with the status the
// gateway answers it with, and nothing else.
func TestOpenAPI_DocumentsEveryErrorCodeWithItsStatus(t *testing.T) {
	b, err := os.ReadFile("../../../proto/openapi.yaml")
	require.NoError(t, err)
	doc := string(b)
	start := strings.Index(doc, "    Error:\n")
	require.Positive(t, start, "components.schemas.Error")
	end := strings.Index(doc[start:], "        message:")
	require.Positive(t, end)
	pair := regexp.MustCompile(`([a-z_]+) \((\d{3})`)
	documented := map[string]int{}
	for _, m := range pair.FindAllStringSubmatch(doc[start:start+end], -1) {
		status, _ := strconv.Atoi(m[2])
		documented[m[1]] = status
	}
	want := map[string]int{}
	for _, c := range errs.Codes() {
		want[string(c)], _ = errs.Documented(c)
	}
	assert.Equal(t, want, documented)
}
