#!/usr/bin/env bash
# Builds the Debian package of Passerelle (the app, passerelle-node, the
# desktop entry, icons, AppStream metadata, systemd units, the guide) with
# cargo-deb, from [package.metadata.deb] in app/Cargo.toml.
#
#   bash scripts/package-deb.sh                 # release build (the one to ship)
#   bash scripts/package-deb.sh --profile dev   # reuses what `cargo test` built (CI)
#
# Output: target/debian/passerelle_<version>_<arch>.deb (binaries stripped).
# Check it with: bash scripts/check-deb.sh target/debian/passerelle_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

# The cargo-deb this script was written and checked against.
CARGO_DEB_VERSION=3.8.0

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || { usage >&2; exit 2; }; profile=$2; shift 2 ;;
    --profile=*) profile=${1#--profile=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "package-deb.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$profile" in
  release|dev) ;;
  *) echo "package-deb.sh: --profile is release or dev, not '$profile'" >&2; exit 2 ;;
esac

# dpkg-shlibdeps (dpkg-dev) works out the linked libraries' packages
# ($auto in Depends); strip (binutils) takes the debug info out.
missing=()
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v strip >/dev/null || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
fi

# Both binaries in the chosen profile (a no-op when they are up to date).
cargo build --locked --profile "$profile" -p passerelle-app -p passerelle-commands

# cargo-deb reads the assets' `target/release/...` as the chosen profile's
# directory (target/debug for dev). --strip: the workspace's profiles keep
# line tables, and cargo-deb would otherwise ship them (hundreds of MB in
# dev). It warns that the dev profile is unsupported: that build is for
# checking the package, not for shipping.
rm -f target/debian/passerelle_*.deb
cargo deb -p passerelle-app --no-build --profile "$profile" --strip

deb=$(ls target/debian/passerelle_*.deb)
echo "$deb ($(du -h "$deb" | cut -f1), $(stat -c %s "$deb") bytes)"
