#!/usr/bin/env bash
# Architecture invariants that the compiler does not enforce:
#   model and demo are pure (no IO runtime, no network, no UI);
#   only sync knows iroh; only app knows egui (and bench, which measures
#   the app's frame);
#   every edge between the workspace's crates is one of those listed below
#   (docs/ARCHITECTURE.md draws them), and every crate has its line.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
direct() { cargo tree --locked -p "$1" -e normal --depth 1 --prefix none | tail -n +2 | cut -d' ' -f1; }
all() { cargo tree --locked -p "$1" -e normal --prefix none | cut -d' ' -f1 | sort -u; }
forbid() {
  local crate=$1 kind=$2; shift 2
  local deps; deps=$($kind "$crate")
  for bad in "$@"; do
    if grep -qx "$bad" <<<"$deps"; then
      echo "layering: $crate must not depend ($kind) on $bad"; fail=1
    fi
  done
}
forbid passerelle-model all tokio iroh egui eframe passerelle-core passerelle-sync
forbid passerelle-demo all tokio iroh egui eframe passerelle-core passerelle-sync
forbid passerelle-sync all egui eframe automerge passerelle-model passerelle-core
forbid passerelle-core all egui eframe
forbid passerelle-core direct iroh
forbid passerelle-commands all egui eframe
forbid passerelle-commands direct iroh
forbid passerelle-app direct iroh
forbid passerelle-bench direct iroh

# The workspace's own edges, exactly (normal dependencies).
internal() { direct "$1" | { grep '^passerelle-' || true; } | sort -u | tr '\n' ' ' | sed 's/ $//'; }
declare -A edges=(
  [passerelle-model]=""
  # demo (the example community, the generator) is pure like model.
  [passerelle-demo]="passerelle-model"
  [passerelle-sync]=""
  [passerelle-core]="passerelle-demo passerelle-model passerelle-sync"
  # commands is the command grammar and the control socket the app hosts.
  [passerelle-commands]="passerelle-core passerelle-demo passerelle-model"
  [passerelle-app]="passerelle-commands passerelle-core passerelle-model"
  [passerelle-bench]="passerelle-app passerelle-core passerelle-demo passerelle-model passerelle-sync"
  [passerelle-tests]=""
)
members=$(cargo tree --locked --workspace -e normal --depth 0 --prefix none | grep -v '^$' | cut -d' ' -f1 | sort -u)
for crate in $members; do
  if [[ ! -v edges[$crate] ]]; then
    echo "layering: $crate has no line in scripts/check-layers.sh (which workspace crates may it use?)"; fail=1
    continue
  fi
  got=$(internal "$crate")
  if [[ "$got" != "${edges[$crate]}" ]]; then
    echo "layering: $crate uses [$got], expected [${edges[$crate]}]"; fail=1
  fi
done
exit $fail
