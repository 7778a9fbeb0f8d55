#!/usr/bin/env bash
# Installs the Debian packages that building and testing tether need, only when missing.
set -euo pipefail
need=()
pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || need+=("$1"); }
# Tools the tests and benchmarks call: git (git daemon, http-backend), jq and yq (JSON
# and YAML in e2e checks), python3, time (/usr/bin/time for peak memory), curl, openssl;
# gpg, gpg-agent and ssh-keygen (openssh-client) make the keys of the signed-commit tests;
# gdb stops tether at an exact point to kill it there (the crash tests); openssh-server's
# sshd serves Git over ssh on loopback (the ssh tests).
for p in build-essential pkg-config git jq yq python3 time curl openssl ca-certificates \
         openssh-client libgit2-dev libyaml-dev libcurl4-openssl-dev libcjson-dev \
         libmicrohttpd-dev libssl-dev libcmocka-dev libgpgme-dev gpg gpg-agent gdb \
         openssh-server; do
  pkg "$p"
done
# kubectl is the independent witness of every e2e test; it is not a Debian package.
command -v kubectl >/dev/null || echo "warning: kubectl is not on PATH: the kubectl checks will fail" >&2
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
