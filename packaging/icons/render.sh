#!/usr/bin/env bash
# Renders passerelle.svg to the PNG sizes the desktop asks for, under
# hicolor/<N>x<N>/apps/org.passerelle.Passerelle.png (committed; run again
# after editing the SVG). Needs rsvg-convert (Debian: librsvg2-bin), which
# it installs if missing.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v rsvg-convert >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends librsvg2-bin >/dev/null
fi
for n in 16 24 32 48 64 128 256 512; do
  out="hicolor/${n}x${n}/apps/org.passerelle.Passerelle.png"
  mkdir -p "$(dirname "$out")"
  rsvg-convert --width "$n" --height "$n" --format png passerelle.svg --output "$out"
  echo "wrote packaging/icons/$out"
done
