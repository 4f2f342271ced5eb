#!/usr/bin/env bash
# make bench: every performance target, printed as a ratio against a baseline measured
# in the same run. Prints; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
MGM_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export MGM_TEST_DATABASE_URL

# The panel's scheduler (extension/src/schedule.ts) run for 10,000 simulated viewers;
# mgm-bench turns its requests per viewer-minute into a share of the read capacity.
bash scripts/ensure-node.sh >/dev/null
(cd extension && npm ci --no-audit --no-fund --loglevel=error >/dev/null && node build.mjs --core >/dev/null)
panel_schedule=$(mktemp)
trap 'rm -f "$panel_schedule"' EXIT
node extension/bench/schedule.mjs >"$panel_schedule"

go run ./services/mgm/cmd/mgm-bench -panel-schedule "$panel_schedule" "$@"

# The same figures on the deployment `make chaos` runs: a three-node NATS cluster with
# every stream at three replicas, each service as two processes behind balancers.
go run ./chaos bench
