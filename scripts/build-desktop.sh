#!/usr/bin/env bash
# Builds the Desktop for Windows as the streamer runs it: <out>/mgm-desktop.exe (default
# dist/), a GUI program (-H windowsgui: no console window, it logs to desktop.log) with a
# version resource, the icon and a manifest embedded by go-winres (pinned in
# desktop/go.mod as a tool), signed with Authenticode by osslsigncode.
#
# Signing: with MGM_SIGN_PFX (a PKCS#12 code-signing certificate) and MGM_SIGN_PASS it
# signs with that certificate (and MGM_SIGN_TIMESTAMP, e.g. http://timestamp.digicert.com,
# when set). Without them it makes a throwaway self-signed certificate with openssl, signs
# with it and verifies the signature against it: that proves the step works (CI does
# this); Windows still says "unknown publisher" for such a file. See desktop/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
export PATH=/usr/local/go/bin:$PATH

for tool in osslsigncode openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "build-desktop: installing $tool…" >&2
		sudo=""
		if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
		$sudo apt-get install -y "$tool" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null; $sudo apt-get install -y "$tool" >/dev/null; }
	fi
done

version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
# the version resource wants four numbers: 1.0.0.<commits>
numeric="1.0.0.$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)"

cd "$root/desktop"
syso=cmd/mgm-desktop/rsrc_windows_amd64.syso
trap 'rm -f "$syso"' EXIT
go tool go-winres simply --arch amd64 --out cmd/mgm-desktop/rsrc --manifest gui \
	--product-version "$numeric" --file-version "$numeric" \
	--file-description "Mimiron's Gold-o-Matic Desktop" --product-name "Mimiron's Gold-o-Matic" \
	--copyright "Mimiron's Gold-o-Matic" --original-filename mgm-desktop.exe \
	--icon cmd/mgm-desktop/winres/icon.png
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath \
	-ldflags "-H=windowsgui -X main.version=$version" -o "$out/mgm-desktop-unsigned.exe" ./cmd/mgm-desktop

tmp=$(mktemp -d)
trap 'rm -f "$syso"; rm -rf "$tmp"' EXIT
rm -f "$out/mgm-desktop.exe"
if [ -n "${MGM_SIGN_PFX:-}" ]; then
	ts=()
	if [ -n "${MGM_SIGN_TIMESTAMP:-}" ]; then ts=(-ts "$MGM_SIGN_TIMESTAMP"); fi
	osslsigncode sign -pkcs12 "$MGM_SIGN_PFX" -pass "${MGM_SIGN_PASS:-}" -h sha256 \
		-n "Mimiron's Gold-o-Matic Desktop" "${ts[@]}" \
		-in "$out/mgm-desktop-unsigned.exe" -out "$out/mgm-desktop.exe" >/dev/null
	echo "build-desktop: $out/mgm-desktop.exe ($version), signed with $MGM_SIGN_PFX"
else
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Mimiron's Gold-o-Matic test signing" \
		-addext "extendedKeyUsage=codeSigning" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
	osslsigncode sign -certs "$tmp/cert.pem" -key "$tmp/key.pem" -h sha256 \
		-n "Mimiron's Gold-o-Matic Desktop" \
		-in "$out/mgm-desktop-unsigned.exe" -out "$out/mgm-desktop.exe" >/dev/null
	osslsigncode verify -CAfile "$tmp/cert.pem" -in "$out/mgm-desktop.exe" >/dev/null
	echo "build-desktop: $out/mgm-desktop.exe ($version), signed with a throwaway certificate and verified"
fi
rm -f "$out/mgm-desktop-unsigned.exe"
