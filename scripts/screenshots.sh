#!/usr/bin/env bash
# Takes the user guide's screenshots of the real window under Xvfb at
# 1280×800, in French: a fresh data directory with the example community,
# the release build, one screenshot per screen (the app opened with
# --screen NAME), plus the first start, the meeting mode, one screen in
# "Grand texte" and one in the dark theme.
# Output: docs/img/<name>.png
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v xvfb-run >/dev/null || ! command -v import >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends xvfb xauth imagemagick libgl1-mesa-dri >/dev/null
fi
cargo build --release -p passerelle-app -p passerelle-commands
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# Confined to loopback, no mDNS: screenshots need no network. No window
# is kept serving once closed, and no tray icon is looked for.
export PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off
# example DIR SETTINGS: Nadia's device with the example community, and the
# app's settings (JSON) in DIR.
example() {
  PASSERELLE_DATA_DIR="$1" target/release/passerelle-node init --name "Nadia" >/dev/null
  PASSERELLE_DATA_DIR="$1" target/release/passerelle-node demo >/dev/null
  echo "$2" >"$1/app.json"
}
export PASSERELLE_DATA_DIR="$data/data"
example "$data/data" '{"keep_serving": false}'
mkdir -p docs/img
# shot NAME OUT [DATA_DIR]: the screen NAME of the app on DATA_DIR.
shot() {
  local screen=$1 out=$2 dir=${3:-$PASSERELLE_DATA_DIR}
  xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" bash -c '
    target/release/passerelle --data-dir "$2" --screen "$0" --window-size 1280x800 &
    app=$!
    sleep 6
    import -window root "$1"
    kill $app; wait $app 2>/dev/null || true
  ' "$screen" "$out" "$dir"
  echo "wrote $out"
}
for screen in fil echanges agenda groupes atelier annuaire savoirs bilan membres synchronisation; do
  shot "$screen" "docs/img/$screen.png"
done
shot se-retrouver docs/img/se-retrouver.png
# The first start, on an empty data directory.
mkdir -p "$data/empty"
echo '{"keep_serving": false}' >"$data/empty/app.json"
shot fil docs/img/accueil.png "$data/empty"
# "Grand texte" and the dark theme.
example "$data/grand-texte" '{"keep_serving": false, "large_text": true}'
example "$data/sombre" '{"keep_serving": false, "dark": true}'
shot echanges docs/img/echanges-grand-texte.png "$data/grand-texte"
shot agenda docs/img/agenda-sombre.png "$data/sombre"
