#!/usr/bin/env bash
# make test: set-up, then every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

echo "== PostgreSQL"
MGM_TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export MGM_TEST_DATABASE_URL
echo "using $MGM_TEST_DATABASE_URL"

if [ -f scripts/lint-addon.sh ]; then
	echo "== addon: luac5.1 -p"
	bash scripts/lint-addon.sh
fi
if [ -f scripts/ensure-chromium.sh ]; then
	echo "== Chromium (Desktop window and Extension panel tests)"
	bash scripts/ensure-chromium.sh
fi

echo "== kubectl (renders deployments/k8s in the deployments test)"
bash scripts/ensure-kubectl.sh

echo "== Extension panel: build (tsc, esbuild, dist/mgm-extension.zip) and unit tests"
# The browser tests run inside go test (services/mgm/paneltest) against the built panel.
bash scripts/build-extension.sh >/dev/null
node --test extension/test/unit/

echo "== gofmt / go vet"
unformatted=$(git ls-files -z '*.go' 2>/dev/null | xargs -0 -r gofmt -l 2>/dev/null || gofmt -l pkg services desktop)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
modules=$(go list -m -f '{{.Dir}}')
for m in $modules; do (cd "$m" && go vet ./...); done

echo "== services depend only on pkg (docs/architecture.md; services/mgm, the one-process mode, starts them all)"
crossed=$(for f in services/*/go.mod; do
	[ "$f" = services/mgm/go.mod ] || { grep -v '^module ' "$f" | grep -q 'mimiron/mgm/services/' && echo "$f"; } || true
done)
if [ -n "$crossed" ]; then echo "a service module requires another service:"; echo "$crossed"; exit 1; fi

echo "== Desktop builds for Windows"
(cd desktop && GOOS=windows GOARCH=amd64 go build -o /dev/null ./...)

echo "== go test"
status=0
# The Desktop's module runs beside the others: its whole-loop tests (desktop/e2e, ~3 min)
# mostly wait on the game's clock — the addon's 1.05 s chat pacing, /who answers — so on
# two cores they overlap the backend's tests instead of adding to them. Its output is
# printed when it ends.
desktop_log=$(mktemp)
trap 'rm -f "$desktop_log"' EXIT
(cd desktop && go test -count=1 -timeout 25m ./... >"$desktop_log" 2>&1) &
desktop_pid=$!
for m in $modules; do
	[ "$m" = "$PWD/desktop" ] && continue
	echo "-- ${m#$PWD/}"
	(cd "$m" && go test -count=1 -timeout 25m ./...) || status=1
done
echo "-- desktop"
wait "$desktop_pid" || status=1
cat "$desktop_log"

# The services as separate processes on a three-node NATS cluster, under faults
# (make chaos; its default CHAOS_DURATION is this short run).
echo "== chaos (short run)"
go run ./chaos || status=1
exit $status
