#!/usr/bin/env bash
# The Debian package's acceptance check (CI runs it as root on Debian, with
# no stdin): installs the package in a fresh minimal Debian and uses it.
#
#   sudo bash scripts/check-deb.sh target/debian/passerelle_<version>_<arch>.deb
#
# 1. debootstrap --variant=minbase: a Debian of the host's suite, from the
#    host's own mirror (read from /etc/apt), in a new temporary directory;
# 2. dpkg -i the package there, then apt-get -f install: Debian resolves its
#    Depends; every library the app loads at run time (dlopen) must then be
#    present, with Mesa's software renderer;
# 3. passerelle-node --version; desktop-file-validate and appstreamcli
#    validate on the installed files; the system service's user and state
#    directory exist, the service is not enabled, and its command line
#    serves and stops on SIGTERM;
# 4. the app, started from the desktop entry's Exec line under Xvfb (xvfb,
#    xauth and imagemagick installed in the chroot for this step only),
#    loopback only, no mDNS, a fresh HOME: its first screen must not be
#    blank. Screenshot: target/debian/first-screen.png (log beside it);
# 5. dpkg --purge keeps the node's data.
# Nothing is cached between runs; the directory is removed at the end.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: check-deb.sh PACKAGE.deb" >&2
  exit 2
fi
deb=$(realpath "$1")
cd "$(dirname "$0")/.."
repo=$(pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "check-deb.sh: run as root (debootstrap, chroot, mount)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
t0=$SECONDS
step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - t0)); }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "host tools"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v desktop-file-validate >/dev/null || need+=(desktop-file-utils)
command -v appstreamcli >/dev/null || need+=(appstream)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing on the host: ${need[*]}"
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

# The host's suite, and the first mirror the host uses for it.
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: Types: deb, Suites: including $suite, not Enabled: no.
    awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/) continue
          split($i, kv, ":"); key = tolower(kv[1])
          value = substr($i, length(kv[1]) + 2); gsub(/^[ \t]+|[ \t]+$/, "", value)
          if (key == "types") types = value
          else if (key == "uris") uris = value
          else if (key == "suites") suites = value
          else if (key == "enabled") enabled = tolower(value)
        }
        if ((" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ") && enabled != "no") {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$f"
  done
  # One-line format: deb [options] URI SUITE COMPONENTS...
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
    | sed -e 's/#.*//' -e 's/\[[^]]*\]//' \
    | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
}
mirrors=$(host_mirror)
mirror=${mirrors%%$'\n'*}
[ -n "$mirror" ] || fail "no apt source for suite $suite in /etc/apt (sources.list, sources.list.d)"
echo "suite $suite, mirror $mirror"

work=$(mktemp -d /tmp/passerelle-check-deb.XXXXXX)
root=$work/root
mounted=()
cleanup() {
  local status=$? pid p i
  # Processes this check started inside the chroot (the app, Xvfb, the node).
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "$pid" 2>/dev/null || true
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
  done
  if grep -q " $work/" /proc/mounts; then
    echo "check-deb.sh: $work still has mounts; not removing it" >&2
  else
    rm -rf "$work"
  fi
  echo
  if [ "$status" -eq 0 ]; then echo "check-deb: OK ($((SECONDS - t0))s)"; else echo "check-deb: FAILED ($((SECONDS - t0))s)"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A clean environment in the chroot, but the host's proxy for apt, if any.
proxy=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -n "${!v:-}" ] && proxy+=("$v=${!v}")
done
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "${proxy[@]}" "$@" </dev/null; }
# Runs a long command with its output in a log, shown only if it fails.
logged() {
  local log=$work/$1.log; shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$* (log above)"
  fi
}

step "debootstrap --variant=minbase $suite"
include=()
case "$mirror" in https:*) include=(--include=ca-certificates) ;; esac
t=$SECONDS
logged debootstrap debootstrap --variant=minbase "${include[@]}" "$suite" "$root" "$mirror"
debootstrap_s=$((SECONDS - t))
echo "debootstrap: ${debootstrap_s}s"

mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm" && mounted+=("$root/dev/shm")
# Faster dpkg in a throwaway tree; no recommends, no translations.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/check-deb"
cat >"$root/etc/apt/apt.conf.d/90check-deb" <<'EOF'
APT::Install-Recommends "false";
Acquire::Languages "none";
Dpkg::Use-Pty "false";
EOF

step "dpkg -i $(basename "$deb"); apt-get -f install"
cp "$deb" "$root/tmp/"
t=$SECONDS
logged apt-update in_root apt-get update
# Fails on the missing Depends: the package stays unpacked, unconfigured.
in_root dpkg -i "/tmp/$(basename "$deb")" >"$work/dpkg.log" 2>&1 || true
logged apt-fix in_root apt-get -f install -y --no-install-recommends
apt_s=$((SECONDS - t))
status=$(in_root dpkg-query -W -f='${Status}' passerelle 2>/dev/null || true)
[ "$status" = "install ok installed" ] || { cat "$work/apt-fix.log" >&2; fail "passerelle is not installed after apt-get -f install: '$status'"; }
echo "installed for the Depends: $(sed -n 's/^Setting up \([^ :]*\).*/\1/p' "$work/apt-fix.log" | sort -u | tr '\n' ' ')"
echo "packages in the chroot: $(in_root dpkg-query -W -f='.\n' | wc -l); apt: ${apt_s}s"
echo "Depends: $(in_root dpkg-query -W -f='${Depends}' passerelle)"

step "libraries the app loads at run time"
# Every versioned library name in the app's binary must resolve from the
# Depends alone, before anything else is installed.
# (The binary's strings run together: keep from the last "lib" of a match.)
sonames=$(grep -aoE '[A-Za-z0-9_+-]*lib[A-Za-z0-9_+-]+\.so\.[0-9]+' "$root/usr/bin/passerelle" \
  | sed -E 's/.*(lib[A-Za-z0-9_+-]+\.so\.[0-9]+)$/\1/' | sort -u)
[ -n "$sonames" ] || fail "no library names found in /usr/bin/passerelle"
cache=$(in_root ldconfig -p)
for so in $sonames; do
  grep -q "^[[:space:]]*$so " <<<"$cache" || fail "$so (loaded by the app) is in no installed package: add it to Depends"
  printf '  %s\n' "$so"
done
dri=$(find "$root/usr/lib" -name swrast_dri.so -print -quit)
[ -n "$dri" ] || fail "no Mesa software renderer (swrast_dri.so): libgl1-mesa-dri missing"
echo "  ${dri#"$root"}"

step "passerelle-node --version"
in_root /usr/bin/passerelle-node --version

step "desktop entry and AppStream metadata"
desktop=$root/usr/share/applications/org.passerelle.Passerelle.desktop
metainfo=$root/usr/share/metainfo/org.passerelle.Passerelle.metainfo.xml
desktop-file-validate "$desktop"
appstreamcli validate --no-net "$metainfo"
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512 scalable; do
  ls "$root/usr/share/icons/hicolor/$size/apps/org.passerelle.Passerelle."* >/dev/null \
    || fail "no $size icon"
done

step "the node's system service"
in_root getent passwd passerelle || fail "no passerelle user"
owner=$(in_root stat -c '%U:%G %a' /var/lib/passerelle)
[ "$owner" = "passerelle:passerelle 750" ] || fail "/var/lib/passerelle is $owner"
echo "/var/lib/passerelle: $owner"
if ls "$root"/etc/systemd/system/*.wants/passerelle-node.service >/dev/null 2>&1; then
  fail "passerelle-node.service is enabled at install"
fi
echo "passerelle-node.service: installed, not enabled"
unit=$root/usr/lib/systemd/system/passerelle-node.service
if command -v systemd-analyze >/dev/null; then
  # The units as installed; their binary is the chroot's.
  mkdir -p "$work/units/user"
  sed "s#/usr/bin/passerelle-node#$root/usr/bin/passerelle-node#" "$unit" >"$work/units/passerelle-node.service"
  sed "s#/usr/bin/passerelle-node#$root/usr/bin/passerelle-node#" \
    "$root/usr/lib/systemd/user/passerelle-node.service" >"$work/units/user/passerelle-node.service"
  systemd-analyze verify "$work/units/passerelle-node.service"
  mkdir -m 700 "$work/runtime"
  XDG_RUNTIME_DIR=$work/runtime systemd-analyze --user verify "$work/units/user/passerelle-node.service"
  echo "systemd-analyze verify: system and user units OK"
fi
# The service's command line, as its user, outside systemd: a data
# directory, then serve until it listens, then SIGTERM.
# setpriv, not runuser: it execs the command, so SIGTERM reaches the node.
as_passerelle=(setpriv --reuid=passerelle --regid=passerelle --init-groups --)
in_root "${as_passerelle[@]}" /usr/bin/passerelle-node --data-dir /var/lib/passerelle/data init --name "Centre social" >/dev/null
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
read -ra exec_argv <<<"$exec_start"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off \
  "${as_passerelle[@]}" "${exec_argv[@]}" </dev/null >"$work/serve.log" 2>&1 &
serve=$!
for _ in $(seq 60); do
  grep -q '"event":"listening"' "$work/serve.log" && break
  kill -0 "$serve" 2>/dev/null || break
  sleep 0.5
done
grep -q '"event":"listening"' "$work/serve.log" || { cat "$work/serve.log" >&2; fail "$exec_start did not start serving"; }
kill -TERM "$serve"
for _ in $(seq 60); do kill -0 "$serve" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$serve" 2>/dev/null; then fail "serve did not stop within 30 s of SIGTERM"; fi
wait "$serve" || fail "serve exited with status $? on SIGTERM"
echo "$exec_start: served, stopped on SIGTERM"

step "the app's first screen, from the desktop entry, under Xvfb"
t=$SECONDS
logged test-tools in_root apt-get install -y --no-install-recommends xvfb xauth imagemagick
echo "xvfb, xauth, imagemagick: $((SECONDS - t))s"
# Exec's program and arguments, without field codes (%U, %f...).
exec_line=$(sed -n 's/^Exec=//p' "$desktop" | head -n 1 | sed -E 's/ ?%[a-zA-Z]//g')
[ -n "$exec_line" ] || fail "no Exec line in the desktop entry"
echo "Exec=$exec_line"
mkdir -p "$root/tmp/home" "$repo/target/debian"
cat >"$root/tmp/first-screen.sh" <<'EOF'
# Under xvfb-run: the app from the desktop entry, then a screenshot once
# its window shows more than a blank screen.
$EXEC_LINE >/tmp/first-screen.log 2>&1 &
app=$!
colours=0
for i in $(seq 40); do
  sleep 1
  kill -0 $app 2>/dev/null || { echo "the app exited"; exit 1; }
  import -window root /tmp/first-screen.png 2>/dev/null || continue
  colours=$(identify -format %k /tmp/first-screen.png)
  # Let it settle a moment once something is drawn.
  if [ "$colours" -gt 32 ]; then sleep 2; import -window root /tmp/first-screen.png; break; fi
done
kill $app; wait $app 2>/dev/null
echo "colours: $(identify -format %k /tmp/first-screen.png)"
EOF
# -nolisten local: only the chroot's own socket, never the host's displays.
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp/home LANG=C.UTF-8 \
  PASSERELLE_BIND=127.0.0.1 PASSERELLE_MDNS=off EXEC_LINE="$exec_line" \
  xvfb-run --server-num 42 --server-args "-screen 0 1280x800x24 -nolisten tcp -nolisten local" \
  sh /tmp/first-screen.sh </dev/null >"$work/first-screen.out" 2>&1 || true
cp "$root/tmp/first-screen.log" "$repo/target/debian/first-screen.log" 2>/dev/null || true
cat "$work/first-screen.out"
[ -f "$root/tmp/first-screen.png" ] || { tail -n 20 "$repo/target/debian/first-screen.log" >&2; fail "no screenshot"; }
cp "$root/tmp/first-screen.png" "$repo/target/debian/first-screen.png"
colours=$(identify -format %k "$repo/target/debian/first-screen.png" 2>/dev/null \
  || in_root identify -format %k /tmp/first-screen.png)
echo "target/debian/first-screen.png: $colours colours"
if [ "$colours" -le 32 ]; then
  tail -n 20 "$repo/target/debian/first-screen.log" >&2
  fail "the first screen is blank ($colours colours)"
fi
[ -d "$root/tmp/home/.local/share/passerelle" ] || fail "the app made no data directory in its HOME"

step "dpkg --purge keeps the node's data"
logged purge in_root dpkg --purge passerelle
[ -d "$root/var/lib/passerelle/data" ] || fail "purge deleted /var/lib/passerelle/data"
[ ! -e "$root/usr/bin/passerelle" ] || fail "purge left /usr/bin/passerelle"
echo "purged; /var/lib/passerelle/data kept"

echo
echo "timings: debootstrap ${debootstrap_s}s, apt (update + Depends) ${apt_s}s"
