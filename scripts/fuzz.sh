#!/usr/bin/env bash
# make fuzz: runs every Go fuzz target in every module for FUZZTIME (default 10s).
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
