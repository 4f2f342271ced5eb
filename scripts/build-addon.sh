#!/usr/bin/env bash
# Builds dist/MimironsGoldOMatic.zip with the layout WoW expects: the zip's root holds the
# folder MimironsGoldOMatic/ (its .toc and .lua files), ready to unpack into
# World of Warcraft/Interface/AddOns/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name=MimironsGoldOMatic
src="$root/addon/$name"
out="$root/dist/$name.zip"

[ -f "$src/$name.toc" ] || { echo "build-addon: $src/$name.toc missing" >&2; exit 1; }

if ! command -v zip >/dev/null 2>&1; then
	echo "build-addon: installing zip…" >&2
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
	if ! $sudo apt-get install -y zip >/dev/null 2>&1; then
		$sudo apt-get update >/dev/null
		$sudo apt-get install -y zip >/dev/null
	fi
fi

mkdir -p "$root/dist"
rm -f "$out"
# Only what the client loads, with a fixed order and no extra attributes, so the zip is
# the same from every clean clone.
(cd "$root/addon" && find "$name" -type f \( -name '*.toc' -o -name '*.lua' -o -name '*.xml' -o -name '*.tga' -o -name '*.blp' \) | LC_ALL=C sort | zip -q -X -D "$out" -@)
echo "build-addon: wrote $out"
