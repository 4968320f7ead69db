#!/bin/bash
# make fresh-check: proves the README's promise on a stock Debian 12 machine.
#
# Builds a bare Debian 12 (bookworm) root with debootstrap --variant=minbase, from the
# same apt mirror this machine uses, installs only what a stock machine carries (the
# STOCK list below), clones this repository's current commit into it and runs
# `make test` there, in a chroot, as an ordinary user with sudo, the way a reader would.
# `make deps` inside the root must install everything else.
#
# Needs root (or sudo) on a Debian or Ubuntu host: it installs debootstrap with apt,
# mounts /proc, /sys, /dev, /dev/pts and /dev/shm into the root and unmounts them on
# exit, on failure and on interrupt. Takes a long time (packages, then a clean build).
#
#   tools/fresh_debian.sh [--root DIR] [--remove]
#
# The root is DIR (default /tmp/ce-book-fresh-debian); it is deleted and rebuilt on every
# run and kept afterwards for inspection unless --remove is given. The log of the run
# inside the root is written to DIR.log as well as to the terminal.
set -euo pipefail

SUITE=bookworm
# What a stock Debian 12 machine that builds software carries; nothing of the project's.
STOCK="build-essential make cmake ninja-build git python3 nodejs npm ca-certificates sudo"
READER=reader

ROOT=/tmp/ce-book-fresh-debian
REMOVE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --remove) REMOVE=1; shift ;;
    *) echo "usage: $0 [--root DIR] [--remove]" >&2; exit 2 ;;
  esac
done
case "$ROOT" in
  /|/tmp|/home|/root|/usr|/var|/etc) echo "fresh-check: refusing root $ROOT" >&2; exit 2 ;;
esac

REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
COMMIT=$(git -C "$REPO" rev-parse HEAD)

if [ "$(id -u)" != 0 ]; then
  exec sudo "$0" --root "$ROOT" $([ "$REMOVE" = 1 ] && echo --remove)
fi

say() { printf 'fresh-check: %s\n' "$*"; }

if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  say "warning: uncommitted changes are not checked; the root gets commit $COMMIT"
fi

# The host's Debian mirrors, from its apt sources (one-line and deb822 formats): the
# first URI serving the suite, and the one serving its security updates.
mirror_for() {  # $1: suite name to look for
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                     if ($(i+1) == s) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
          if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
          if ($i ~ /^Suites:/) { n = split($i, a, /[ \t]+/); for (j = 2; j <= n; j++) if (a[j] == s) ok = 1 }
        }
        if (ok && deb && uri != "") { print uri; exit } }' "$f"
  done
}
MIRROR=$(mirror_for "$SUITE" | head -n1)
SECURITY=$(mirror_for "$SUITE-security" | head -n1)
if [ -z "$MIRROR" ]; then
  echo "fresh-check: no apt source for $SUITE in /etc/apt/sources.list{,.d}" >&2; exit 1
fi
say "mirror $MIRROR${SECURITY:+, security $SECURITY}"

command -v debootstrap >/dev/null || {
  say "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

MOUNTS=()
# Everything the run started inside the root, then every mount, innermost first.
cleanup() {
  local status=$? pid i
  trap - EXIT INT TERM HUP
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$ROOT" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 1
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" || status=1
  done
  MOUNTS=()
  if [ "$REMOVE" = 1 ] && [ -d "$ROOT" ]; then remove_root; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Deletes the root, never crossing into a mount (a previous run's, if it was killed).
remove_root() {
  local m
  for m in $(findmnt -rn -o TARGET | grep -E "^$ROOT(/|$)" | sort -r); do umount -l "$m"; done
  rm -rf --one-file-system "$ROOT"
}

bind() {  # mount ARGS... TARGET
  local target=${*: -1}
  mount "$@"
  MOUNTS+=("$target")
}

[ -e "$ROOT" ] && { say "removing the previous root $ROOT"; remove_root; }
mkdir -p "$ROOT"

say "debootstrap --variant=minbase $SUITE $ROOT"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR"

{
  echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  [ -n "$SECURITY" ] && echo "deb $SECURITY $SUITE-security main"
} > "$ROOT/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# sudo looks the host name up on every call.
echo "127.0.1.1 $(hostname)" >> "$ROOT/etc/hosts"
# No service starts inside a chroot.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

# The root is a mount point of its own, as / is on a real machine, so that a mount
# namespace made inside it (the live-rebuild test's scratch tree) can set its propagation.
bind --bind "$ROOT" "$ROOT"
mount --make-private "$ROOT"
bind -t proc proc "$ROOT/proc"
bind -t sysfs sysfs "$ROOT/sys"
bind --bind /dev "$ROOT/dev"
mount --make-rslave "$ROOT/dev"
bind --bind /dev/pts "$ROOT/dev/pts"
bind -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# Certificate authorities this host's administrator added (update-ca-certificates), so a
# network that inspects TLS reaches the npm registry from the root as it does from here.
# A machine on the open Internet has none, and the root then gets none.
LOCAL_CAS=$(find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null || true)
if [ -n "$LOCAL_CAS" ]; then
  say "trusting this host's locally added certificate authorities"
  cp -a /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
fi

say "installing the stock packages: $STOCK"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $STOCK
[ -z "$LOCAL_CAS" ] || in_root update-ca-certificates >/dev/null

# A reader: an ordinary user who may use sudo (make deps installs through it).
in_root useradd --create-home --shell /bin/bash "$READER"
echo "$READER ALL=(ALL) NOPASSWD: ALL" > "$ROOT/etc/sudoers.d/$READER"
chmod 440 "$ROOT/etc/sudoers.d/$READER"

say "cloning $COMMIT"
BOOK=/home/$READER/book
git clone --quiet --no-hardlinks "$REPO" "$ROOT$BOOK"
git -C "$ROOT$BOOK" checkout --quiet --detach "$COMMIT"
in_root chown -R "$READER:$READER" "$BOOK"

say "make test inside the root, as $READER (log: $ROOT.log)"
set +e
chroot "$ROOT" /usr/bin/env -i HOME="/home/$READER" USER="$READER" LOGNAME="$READER" SHELL=/bin/bash \
  PATH=/usr/local/bin:/usr/bin:/bin \
  /usr/sbin/runuser -u "$READER" -- /bin/bash -c "
    cd $BOOK && . /etc/os-release && echo \"\$PRETTY_NAME; node \$(node --version); npm \$(npm --version)\" &&
    git log -1 --format='commit %H %s' && make test" 2>&1 | tee "$ROOT.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 0 ]; then say "PASSED: make test in a bare Debian 12 root, commit $COMMIT"
else say "FAILED (status $status): make test in a bare Debian 12 root, commit $COMMIT"; fi
exit "$status"
