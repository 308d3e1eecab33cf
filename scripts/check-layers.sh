#!/usr/bin/env bash
# Architecture invariants that the compiler does not enforce:
#   model is pure (no IO runtime, no network, no UI);
#   only sync knows iroh; only app knows egui.
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
forbid passerelle-sync all egui eframe automerge passerelle-model passerelle-core
forbid passerelle-core all egui eframe
forbid passerelle-core direct iroh
forbid passerelle-cli all egui eframe
forbid passerelle-cli direct iroh
forbid passerelle-app direct iroh
exit $fail
