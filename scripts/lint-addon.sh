#!/usr/bin/env bash
# Parses every addon .lua file with the real Lua 5.1 compiler (Debian's lua5.1 package),
# the language WoW 3.3.5a runs, then runs addon/tests/util_test.lua with lua5.1.
# Exits non-zero on any parse error or failed check.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v luac5.1 >/dev/null 2>&1; then
	echo "lint-addon: installing lua5.1 (luac5.1)…" >&2
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
	if ! $sudo apt-get install -y lua5.1 >/dev/null 2>&1; then
		$sudo apt-get update >/dev/null
		$sudo apt-get install -y lua5.1 >/dev/null
	fi
fi

status=0
count=0
while IFS= read -r -d '' f; do
	count=$((count + 1))
	if ! luac5.1 -p "$f"; then
		status=1
	fi
done < <(find "$root/addon" -name '*.lua' -print0 | sort -z)

if [ "$count" = 0 ]; then
	echo "lint-addon: no .lua files under addon/" >&2
	exit 1
fi
if [ "$status" != 0 ]; then
	exit "$status"
fi
echo "lint-addon: $count file(s) parse with luac5.1"

# The pure helpers (name folding, JSON, clock) also run under the real interpreter, so a
# difference between gopher-lua and Lua 5.1 cannot hide in them.
lua5.1 "$root/addon/tests/util_test.lua" "$root/addon/MimironsGoldOMatic"
lua5.1 "$root/addon/tests/crypto_test.lua" "$root/addon/MimironsGoldOMatic"
