#!/usr/bin/env bash
# make extension: dist/mgm-extension.zip, the file to upload in Twitch's developer console
# ("Asset Hosting"): panel.html, panel.js, panel.css and config.js at the zip's root, and
# nothing else. The backend's address comes from MGM_EBS_URL (https://…).
# Also leaves dist/extension/ (the same files, unpacked) for the browser tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/dist/mgm-extension.zip"

bash "$root/scripts/ensure-node.sh" >/dev/null
(cd "$root/extension" && npm ci --no-audit --no-fund --loglevel=error >&2)
node "$root/extension/build.mjs" >&2

# zip writes the upload; unzip lets the unit tests list it.
if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
	echo "build-extension: installing zip and unzip…" >&2
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
	if ! $sudo apt-get install -y zip unzip >/dev/null 2>&1; then
		$sudo apt-get update >/dev/null
		$sudo apt-get install -y zip unzip >/dev/null
	fi
fi

rm -f "$out"
# Fixed order, fixed dates and no extra attributes: the same sources give the same zip.
(cd "$root/dist/extension" &&
	touch -d '2000-01-01 00:00:00 UTC' panel.html panel.js panel.css config.js &&
	TZ=UTC zip -q -X -D "$out" panel.html panel.js panel.css config.js)
echo "build-extension: wrote $out" >&2
echo "$out"
