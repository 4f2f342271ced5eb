#!/usr/bin/env bash
# Makes sure Node.js and npm are installed (the Extension panel is built and tested with
# them). Prints node's version.
set -euo pipefail
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >&2
	$sudo apt-get install -y -qq nodejs npm >&2
fi
node --version
