#!/usr/bin/env bash
# Takes the user guide's screenshots of the real window under Xvfb:
# a fresh data directory with the example community, the release build.
# Output: docs/img/*.png
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in xvfb-run import; do
  command -v "$tool" >/dev/null || { echo "installing $tool"; apt-get install -y -qq xvfb xauth imagemagick >/dev/null; }
done
cargo build --release -p passerelle-app -p passerelle-cli
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export PASSERELLE_DATA_DIR="$data/data" PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off
target/release/passerelle-node init --name "Nadia" >/dev/null
target/release/passerelle-node demo >/dev/null
mkdir -p docs/img
xvfb-run --auto-servernum --server-args="-screen 0 1200x800x24" bash -c '
  target/release/passerelle --data-dir "$PASSERELLE_DATA_DIR" &
  app=$!
  sleep 6
  import -window root -crop 1100x720+0+0 +repage docs/img/echanges.png
  kill $app
'
echo "wrote docs/img/echanges.png"
