#!/usr/bin/env bash
# make fuzz: runs every Go fuzz target in every module for FUZZTIME (default 10s), then the
# long form of the HTTP sweep (issue 12) against the one-process system and the Desktop's
# window: the whole catalog, SWEEP_REQUESTS random requests (default 20,000) and the slow
# bodies. make test runs the sweep's short form.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
t=${FUZZTIME:-10s}
for m in $(go list -m -f '{{.Dir}}'); do
	(cd "$m"
	 for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
			echo "== $pkg $f"
			go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
		done
	 done)
done

echo "== HTTP sweep, long form"
MGM_TEST_DATABASE_URL=${MGM_TEST_DATABASE_URL:-$(bash scripts/ensure-postgres.sh)}
export MGM_TEST_DATABASE_URL MGM_SWEEP=long MGM_SWEEP_REQUESTS=${SWEEP_REQUESTS:-20000}
(cd services/mgm && go test -count=1 -run '^TestSweep' -timeout 60m -v . | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|sweep_test.go')
(cd desktop && go test -count=1 -run '^TestSweep' -timeout 60m -v ./ui/ | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|sweep_test.go')
