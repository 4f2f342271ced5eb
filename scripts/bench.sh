#!/usr/bin/env bash
# make bench: every performance target, printed as a ratio against a baseline measured
# in the same run. Prints; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
MGM_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export MGM_TEST_DATABASE_URL
go run ./services/mgm/cmd/mgm-bench "$@"
