#!/usr/bin/env bash
# Takes the user guide's screenshots of the real window under Xvfb: a fresh
# data directory with the example community, the release build, one
# screenshot per screen (the app opened with --screen NAME).
# Output: docs/img/<screen>.png
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v xvfb-run >/dev/null || ! command -v import >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends xvfb xauth imagemagick libgl1-mesa-dri >/dev/null
fi
cargo build --release -p passerelle-app -p passerelle-commands
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# Confined to loopback, no mDNS: screenshots need no network.
export PASSERELLE_DATA_DIR="$data/data" PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off
target/release/passerelle-node init --name "Nadia" >/dev/null
target/release/passerelle-node demo >/dev/null
mkdir -p docs/img
shot() {
  local screen=$1 out=$2
  xvfb-run --auto-servernum --server-args="-screen 0 1200x800x24" bash -c '
    target/release/passerelle --data-dir "$PASSERELLE_DATA_DIR" --screen "$0" &
    app=$!
    sleep 5
    import -window root -crop 1100x720+0+0 +repage "$1"
    kill $app; wait $app 2>/dev/null || true
  ' "$screen" "$out"
  echo "wrote $out"
}
for screen in fil echanges agenda groupes atelier annuaire savoirs bilan membres synchronisation; do
  shot "$screen" "docs/img/$screen.png"
done
# The first start, on an empty data directory.
PASSERELLE_DATA_DIR="$data/empty" shot fil docs/img/accueil.png
