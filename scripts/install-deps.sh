#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Passerelle needs to build, test and run.
# Safe to run again: it only installs what is missing.
set -euo pipefail
packages=(pkg-config libxkbcommon-dev libgl1-mesa-dri libegl1 xvfb xauth iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
