#!/usr/bin/env bash
# kubectl for the deployments test (`kubectl kustomize deployments/k8s`): the one on
# PATH, or Debian's kubernetes-client package (its built-in kustomize renders the
# manifests too).
set -euo pipefail
if command -v kubectl >/dev/null; then exit 0; fi
echo "ensure-kubectl: installing kubernetes-client from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq >&2
$sudo_cmd apt-get install -y -qq kubernetes-client >&2
command -v kubectl >/dev/null
