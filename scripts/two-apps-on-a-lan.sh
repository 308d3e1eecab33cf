#!/usr/bin/env bash
# Two app windows on one LAN, for real: two network namespaces joined by a
# veth pair (root needed), one app in each on its own Xvfb display, members
# of one community but with no address of each other. They find each other
# by mDNS; a change made on one reaches the other live. Writes the two
# meeting views ("Se retrouver"), at 1280×800, to docs/img/lan-a.png and
# docs/img/lan-b.png.
# mDNS runs only inside the namespaces this script makes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p passerelle-app -p passerelle-commands
B=$PWD/target/release
W=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del pdA 2>/dev/null || true; ip netns del pdB 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
ip netns add pdA; ip netns add pdB
ip link add vdA type veth peer name vdB
ip link set vdA netns pdA; ip link set vdB netns pdB
ip -n pdA addr add 10.78.0.1/24 dev vdA; ip -n pdB addr add 10.78.0.2/24 dev vdB
for n in A B; do ip -n pd$n link set lo up; ip -n pd$n link set vd$n up; ip -n pd$n route add 224.0.0.0/4 dev vd$n; done
export PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off
$B/passerelle-node --data-dir $W/a init --name Nadia >/dev/null
C=$($B/passerelle-node --data-dir $W/a demo)
$B/passerelle-node --data-dir $W/a serve > $W/serve.log &
S=$!; pids+=($S); sleep 2
T=$($B/passerelle-node --data-dir $W/a invite --community $C)
$B/passerelle-node --data-dir $W/b init --name Bruno >/dev/null
$B/passerelle-node --data-dir $W/b join "$T"
kill $S; wait $S || true
rm -f $W/a/addresses.json $W/b/addresses.json
unset PASSERELLE_BIND PASSERELLE_MDNS
# The windows are closed at the end: nothing keeps serving after them.
for d in a b; do echo '{"keep_serving": false}' >$W/$d/app.json; done
Xvfb :91 -screen 0 1280x800x24 >/dev/null 2>&1 & pids+=($!)
Xvfb :92 -screen 0 1280x800x24 >/dev/null 2>&1 & pids+=($!)
sleep 1
DISPLAY=:91 ip netns exec pdA $B/passerelle --data-dir $W/a --screen se-retrouver --window-size 1280x800 2>/dev/null & pids+=($!)
DISPLAY=:92 ip netns exec pdB $B/passerelle --data-dir $W/b --screen se-retrouver --window-size 1280x800 2>/dev/null & pids+=($!)
sleep 10
mkdir -p docs/img
DISPLAY=:92 import -window root docs/img/lan-b.png
# Bruno adds an échange through his app's control socket; Alice's app gets it live.
$B/passerelle-node --data-dir $W/b exchange add --community $C --kind offer --title "Je prête ma perceuse" --category bricolage
sleep 2
$B/passerelle-node --data-dir $W/a exchange list --community $C | grep "Je prête ma perceuse"
DISPLAY=:91 import -window root docs/img/lan-a.png
echo "wrote docs/img/lan-a.png and docs/img/lan-b.png"
