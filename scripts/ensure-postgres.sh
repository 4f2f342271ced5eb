#!/usr/bin/env bash
# Finds or starts a PostgreSQL for MGM and prints its URL on stdout (logs go to stderr).
#
#   1. DATABASE_URL, when set and answering, is used as is.
#   2. Otherwise a server already answering on 127.0.0.1:5432 with trust auth (the
#      Debian default cluster on a developer machine) is used.
#   3. Otherwise PostgreSQL is installed from Debian's packages when missing, and a
#      private cluster is initialised in $MGM_DATA_DIR/pg (default .mgm-data/pg) and
#      started on 127.0.0.1:${MGM_PG_PORT:-5439}.
set -euo pipefail

log() { echo "ensure-postgres: $*" >&2; }
root=$(cd "$(dirname "$0")/.." && pwd)
data_dir=${MGM_DATA_DIR:-$root/.mgm-data}
case "$data_dir" in /*) ;; *) data_dir="$root/$data_dir" ;; esac
port=${MGM_PG_PORT:-5439}

pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

answers() { # url
	local bin
	if bin=$(pg_bin) && [ -x "$bin/psql" ]; then
		"$bin/psql" "$1" -Atqc 'select 1' >/dev/null 2>&1
	elif command -v psql >/dev/null; then
		psql "$1" -Atqc 'select 1' >/dev/null 2>&1
	else
		return 1
	fi
}

if [ -n "${DATABASE_URL:-}" ]; then
	if answers "$DATABASE_URL"; then echo "$DATABASE_URL"; exit 0; fi
	# No client to check with: trust the operator.
	if ! pg_bin >/dev/null && ! command -v psql >/dev/null; then echo "$DATABASE_URL"; exit 0; fi
	log "DATABASE_URL is set but does not answer"; exit 1
fi

default_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
# MGM_PG_PRIVATE=1 skips the shared server and always uses the private cluster.
if [ -z "${MGM_PG_PRIVATE:-}" ] && answers "$default_url"; then echo "$default_url"; exit 0; fi

# A Debian cluster that exists but is stopped (e.g. after a reboot): start it.
if [ -z "${MGM_PG_PRIVATE:-}" ] && command -v pg_lsclusters >/dev/null && command -v pg_ctlcluster >/dev/null; then
	while read -r ver name cport status _; do
		if [ "$cport" = 5432 ] && [ "$status" != online ]; then
			log "starting Debian cluster $ver/$name"
			pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2 || true
		fi
	done < <(pg_lsclusters -h 2>/dev/null || true)
	for _ in $(seq 1 30); do answers "$default_url" && { echo "$default_url"; exit 0; }; sleep 0.5; done
fi

own_url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
if answers "$own_url"; then echo "$own_url"; exit 0; fi

if ! bin=$(pg_bin); then
	log "installing PostgreSQL from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq >&2
	$sudo_cmd apt-get install -y -qq postgresql >&2
	bin=$(pg_bin)
fi

pgdata="$data_dir/pg"
mkdir -p "$data_dir"
# PostgreSQL refuses to run as root: run it as the postgres system user then.
run_as=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || useradd --system --home "$pgdata" postgres
	run_as=(runuser -u postgres --)
	mkdir -p "$pgdata"; chown postgres "$pgdata"; chmod 700 "$pgdata"
	chmod o+x "$data_dir" 2>/dev/null || true
fi
if [ ! -f "$pgdata/PG_VERSION" ]; then
	log "initialising a cluster in $pgdata"
	"${run_as[@]}" "$bin/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
fi
log "starting PostgreSQL on 127.0.0.1:$port"
"${run_as[@]}" "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=on" start >&2 || true
for _ in $(seq 1 60); do answers "$own_url" && { echo "$own_url"; exit 0; }; sleep 0.5; done
log "PostgreSQL did not come up; see $pgdata/server.log"
exit 1
