#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed: the Desktop window's tests drive it headless
# (desktop/ui, through chromedp). Prints the browser's path.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
	echo /usr/bin/chromium
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq chromium >&2
echo /usr/bin/chromium
