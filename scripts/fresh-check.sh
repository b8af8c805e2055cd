#!/bin/bash
# fresh-check: prove the README's two commands work on a fresh Debian 12 machine.
#
# Builds a minimal Debian 12 (bookworm) root with mmdebstrap from the same mirror this machine's apt
# uses (its bookworm, -updates and -security suites), puts a clean `git clone` of HEAD in it at
# /root/svmm, and runs there, as root in a chroot with a clean environment (no MICROKIT_SDK):
#     make test                          (then)       make demo DEMO_CMD='uname -a'
# Nothing but ca-certificates, git and make is installed beforehand: each command has to install
# what it needs itself (scripts/deps.sh), which is what this checks. Uncommitted changes in the
# work tree are NOT tested (a warning lists them).
#
# Usage: scripts/fresh-check.sh [--test-args 'ARGS'] [--keep] [--verbose] [--help]
#        make fresh-check                      (the same, with no options)
#   --test-args 'ARGS'  extra arguments for `make test`, e.g. 'SKIP_E2E=1' for a quick run
#                       (default: $FRESH_TEST_ARGS)
#   --keep              leave the root (FRESH_DIR/root) for inspection afterwards
#   --verbose, -v       show all output of make test / make demo (default: tier lines and failures)
# Environment:
#   FRESH_DIR           work folder (default build/fresh-check): root/ is the Debian root, log/ the
#                       logs: mmdebstrap.log, setup.log, make-test.log, make-demo.log, test-logs/
#                       (each tier's log, copied out of the root), build/ (the test machines' console
#                       logs: build/e2e/<test>/log, build/demo/log, ...), fresh-check.log (this output)
#   FRESH_TEST_ARGS     as --test-args
#   FRESH_TEST_TIMEOUT  seconds allowed for make test (default 14400), FRESH_DEMO_TIMEOUT for make
#                       demo (default 3600)
#   FRESH_INCLUDE       packages in the root besides minbase (default ca-certificates,git,make)
# The pristine mmdebstrap tarball is cached as build/cache/fresh-bookworm-<date>-<key>.tar (key:
# the mirror lines and package list), so a second run on the same day skips mmdebstrap; every run
# unpacks it afresh, nothing of an earlier run survives. Needs root (installs mmdebstrap with apt
# if missing). Mounts (proc, sys, /dev) live in a private mount namespace, so other processes
# never see them and they vanish with it; they are also unmounted on exit and on Ctrl-C.
# Ends with the closing line of make test, whether the demo printed the guest's `uname -a`, and
# "fresh-check: PASS" (exit 0) or "fresh-check: FAIL (<why>)" (exit 1).
# shellcheck disable=SC2317  # trap handlers are only called indirectly
set -euo pipefail

SELF=$(readlink -f "$0")
ROOT=$(cd "$(dirname "$SELF")/.." && pwd)
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------------------------------------
# Inner part: runs in a private mount namespace (unshare --mount), sets up the mounts, runs one
# command in the chroot under a timeout, tears the mounts down. Called as: SELF --inner RFS LOGFILE
# TIMEOUT VERBOSE -- COMMAND-ARGS (the words after `cd /root/svmm && make`).
if [ "${1:-}" = --inner ]; then
    rfs=$2 logf=$3 limit=$4 verbose=$5; shift 6
    tpid='' tailpid=''
    teardown() {
        umount -R "$rfs" 2>/dev/null || umount -R -l "$rfs" 2>/dev/null || true
    }
    stop() {
        echo "fresh-check: interrupted, stopping the chroot's processes" >&2
        # timeout runs the command in its own process group and passes the signal to all of it.
        [ -z "$tpid" ] || kill -TERM "$tpid" 2>/dev/null || true
        [ -z "$tpid" ] || wait "$tpid" 2>/dev/null || true
        [ -z "$tailpid" ] || kill "$tailpid" 2>/dev/null || true
        exit 130
    }
    trap teardown EXIT
    trap stop INT TERM HUP
    # The root must be a mount point, or `unshare --mount` inside it fails ("cannot change root
    # filesystem propagation").
    mount --bind "$rfs" "$rfs"
    mount -t proc proc "$rfs/proc"
    mount -t sysfs sysfs "$rfs/sys" 2>/dev/null || mount --rbind /sys "$rfs/sys"
    mount --rbind /dev "$rfs/dev"
    mount --make-rslave "$rfs/dev"
    : > "$logf"
    # Job control: the background jobs below get their own process groups instead of having SIGINT
    # and SIGQUIT ignored (which the chroot's processes would inherit).
    set -m
    timeout -k 60 "$limit" chroot "$rfs" /usr/bin/env -i PATH="$CHROOT_PATH" HOME=/root \
        TERM="${TERM:-dumb}" LANG=C.UTF-8 /bin/bash -c 'cd /root/svmm && exec make "$@"' make "$@" \
        < /dev/null >> "$logf" 2>&1 &
    tpid=$!
    if [ "$verbose" = 1 ]; then
        tail -n +1 -f --pid="$tpid" "$logf" &
    else
        tail -n +1 -f --pid="$tpid" "$logf" | grep --line-buffered -E \
            '^(=== |FAIL|\[deps\]|\[demo\]|[0-9]+ passed, [0-9]+ failed)|Linux .* aarch64|make: \*\*\*' &
    fi
    tailpid=$!
    set +e
    wait "$tpid"; rc=$?
    wait "$tailpid" 2>/dev/null
    set -e
    [ "$rc" != 124 ] || echo "fresh-check: TIMEOUT after ${limit}s: make $*" | tee -a "$logf"
    exit "$rc"
fi

# ---------------------------------------------------------------------------------------------
usage() { sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$SELF"; }

TEST_ARGS=${FRESH_TEST_ARGS:-} KEEP=0 VERBOSE=0
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1 ;;
        -v|--verbose) VERBOSE=1 ;;
        --test-args) [ $# -ge 2 ] || { echo "fresh-check: --test-args needs an argument" >&2; exit 2; }
                     TEST_ARGS=$2; shift ;;
        --test-args=*) TEST_ARGS=${1#--test-args=} ;;
        *) echo "fresh-check: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

[ "$(id -u)" = 0 ] || { echo "fresh-check: must run as root (mmdebstrap, chroot, mounts)" >&2; exit 2; }
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
FRESH_DIR=${FRESH_DIR:-$BUILD/fresh-check}
case $FRESH_DIR in /*) ;; *) FRESH_DIR=$ROOT/$FRESH_DIR ;; esac
CACHE=$BUILD/cache
RFS=$FRESH_DIR/root
LOG=$FRESH_DIR/log
INCLUDE=${FRESH_INCLUDE:-ca-certificates,git,make}
TEST_TIMEOUT=${FRESH_TEST_TIMEOUT:-14400}
DEMO_TIMEOUT=${FRESH_DEMO_TIMEOUT:-3600}
DEMO_CMD_ARG="DEMO_CMD=uname -a"

mkdir -p "$FRESH_DIR" "$CACHE"
rm -rf "$LOG"; mkdir -p "$LOG"
OUT=$LOG/fresh-check.log
say() { echo "$*" | tee -a "$OUT"; }
T0=$(date +%s)
phase_start=$T0
phases=()
phase_done() {
    local now; now=$(date +%s)
    phases+=("$(printf '%-22s %5ds' "$1" $((now - phase_start)))")
    phase_start=$now
}

# Nothing may be mounted under the root when we delete it (an earlier run killed with SIGKILL
# leaves nothing here either, since its mounts were in its own namespace; this is a last guard).
mounted_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo; }
remove_root() {
    [ -e "$RFS" ] || return 0
    if [ -n "$(mounted_under "$RFS")" ]; then
        echo "fresh-check: refusing to delete $RFS: something is mounted under it:" >&2
        mounted_under "$RFS" >&2
        return 1
    fi
    rm -rf --one-file-system "$RFS"
}

tmp_tar=''
on_exit() {
    local rc=$?
    [ -z "$tmp_tar" ] || rm -f "$tmp_tar"
    if [ -n "$(mounted_under "$RFS")" ]; then
        umount -R "$RFS" 2>/dev/null || umount -R -l "$RFS" 2>/dev/null || true
    fi
    return "$rc"
}
trap on_exit EXIT
trap 'echo; say "fresh-check: FAIL (interrupted)"; exit 130' INT TERM HUP

# ---- the commit under test ----
head=$(git -C "$ROOT" rev-parse HEAD)
say "fresh-check: testing commit $(git -C "$ROOT" log -1 --format='%h %s' HEAD)"
dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no)
if [ -n "$dirty" ]; then
    say "fresh-check: WARNING: uncommitted changes in $ROOT are NOT tested (only HEAD is):"
    while IFS= read -r l; do say "    $l"; done <<<"$dirty"
fi

# ---- 1. the pristine Debian 12 root (mmdebstrap, cached per day and mirror) ----
# The host's apt sources: one-line (sources.list, *.list) and deb822 (*.sources); kept are the
# enabled "deb" entries for bookworm suites with Debian's components only.
host_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 4 {
            printf "%s %s", $2, $3; for (i = 4; i <= NF; i++) printf " %s", $i; printf "\n" }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush() {
                 if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no")
                     for (u in uris) for (s in suites) print uris[u], suites[s], comps
                 types = ""; enabled = ""; comps = ""; delete uris; delete suites
             }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { line = $0; key = tolower(line); sub(/:.*/, "", key); val = line; sub(/^[^:]*:[ \t]*/, "", val)
               if (key == "types") types = val
               else if (key == "enabled") enabled = val
               else if (key == "uris") split(val, uris, /[ \t]+/)
               else if (key == "suites") split(val, suites, /[ \t]+/)
               else if (key == "components") comps = val }
             END { flush() }' "$f"
    done
}
mirror_lines=()
while read -r uri suite comps; do
    case $suite in bookworm|bookworm-*) ;; *) continue ;; esac
    ok=1
    for c in $comps; do case $c in main|contrib|non-free|non-free-firmware) ;; *) ok=0 ;; esac; done
    if [ $ok = 0 ] || [ -z "$comps" ]; then continue; fi
    mirror_lines+=("deb $uri $suite $comps")
done < <(host_sources | awk '!seen[$0]++')
if [ ${#mirror_lines[@]} = 0 ]; then
    say "fresh-check: WARNING: no bookworm entries in this machine's apt sources; using deb.debian.org"
    mirror_lines=("deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
                  "deb http://deb.debian.org/debian-security bookworm-security main")
fi
# shellcheck source=/dev/null
host_os=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-} ${PRETTY_NAME:-}") || host_os=''
[ "${host_os%% *}" = bookworm ] || say "fresh-check: note: this machine is ${host_os#* } (not Debian 12); the root is Debian 12"
say "fresh-check: mirror (from this machine's apt sources):"
for l in "${mirror_lines[@]}"; do say "    $l"; done

key=$(printf '%s\n' minbase "$INCLUDE" "${mirror_lines[@]}" | sha256sum | cut -c1-12)
tarball=$CACHE/fresh-bookworm-$(date -u +%Y%m%d)-$key.tar
if [ -f "$tarball" ]; then
    say "fresh-check: [1/4] Debian 12 root: cached $tarball"
else
    if ! command -v mmdebstrap >/dev/null; then
        say "fresh-check: installing mmdebstrap (apt)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 mmdebstrap >> "$LOG/setup.log" 2>&1 ||
            { apt-get update -q >> "$LOG/setup.log" 2>&1 &&
              apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 mmdebstrap >> "$LOG/setup.log" 2>&1; } ||
            { say "fresh-check: FAIL (could not install mmdebstrap: $LOG/setup.log)"; exit 1; }
    fi
    say "fresh-check: [1/4] Debian 12 root: mmdebstrap --variant=minbase --include=$INCLUDE (log: $LOG/mmdebstrap.log)"
    # Older days' tarballs are of no further use.
    find "$CACHE" -maxdepth 1 -name 'fresh-bookworm-*.tar' ! -name "fresh-bookworm-$(date -u +%Y%m%d)-*" -delete
    tmp_tar=$tarball.tmp.$$
    if ! mmdebstrap --mode=root --variant=minbase --include="$INCLUDE" --format=tar \
            bookworm "$tmp_tar" "${mirror_lines[@]}" > "$LOG/mmdebstrap.log" 2>&1; then
        tail -n 20 "$LOG/mmdebstrap.log" | tee -a "$OUT"
        say "fresh-check: FAIL (mmdebstrap failed: $LOG/mmdebstrap.log)"
        exit 1
    fi
    mv "$tmp_tar" "$tarball"; tmp_tar=''
    say "fresh-check: cached $tarball ($(( $(stat -c %s "$tarball") / 1048576 )) MiB)"
fi
phase_done "debian root (mmdebstrap)"

# ---- 2. a pristine unpack, the clone of HEAD, resolv.conf ----
say "fresh-check: [2/4] unpacking into $RFS, cloning HEAD to /root/svmm"
remove_root || { say "fresh-check: FAIL (cannot remove the old root $RFS)"; exit 1; }
mkdir -p "$RFS"
tar -C "$RFS" --numeric-owner -xpf "$tarball"
{
    git clone --quiet --no-local "$ROOT" "$RFS/root/svmm"
    git -C "$RFS/root/svmm" checkout --quiet --detach "$head"
} >> "$LOG/setup.log" 2>&1 || { say "fresh-check: FAIL (git clone failed: $LOG/setup.log)"; exit 1; }
rm -f "$RFS/etc/resolv.conf"
cp -L /etc/resolv.conf "$RFS/etc/resolv.conf"
phase_done "unpack + clone"

# ---- 3./4. make test, make demo (each in a private mount namespace) ----
in_root() { # LOGFILE TIMEOUT MAKE-ARGS...
    local logf=$1 limit=$2; shift 2
    unshare --mount --propagation private -- "$SELF" --inner "$RFS" "$logf" "$limit" "$VERBOSE" -- "$@"
}
set +e
say "fresh-check: [3/4] chroot: make test $TEST_ARGS (log: $LOG/make-test.log)"
# shellcheck disable=SC2086  # TEST_ARGS is a list of make arguments
in_root "$LOG/make-test.log" "$TEST_TIMEOUT" test $TEST_ARGS; test_rc=$?
phase_done "make test"
say "fresh-check: [4/4] chroot: make demo DEMO_CMD='uname -a' (log: $LOG/make-demo.log)"
in_root "$LOG/make-demo.log" "$DEMO_TIMEOUT" demo "$DEMO_CMD_ARG"; demo_rc=$?
phase_done "make demo"
set -e

# Each tier's own log, and the demo machine's, out of the root before it goes.
if [ -d "$RFS/root/svmm/build/test-logs" ]; then
    cp -r "$RFS/root/svmm/build/test-logs" "$LOG/test-logs"
fi
mkdir -p "$LOG/build"
[ ! -f "$RFS/root/svmm/build/demo/log" ] || cp "$RFS/root/svmm/build/demo/log" "$LOG/demo-machine.log"
# Every test machine's console log (build/e2e/<tier>/log, build/demo/log, ...) as build/<path>.
if [ -d "$RFS/root/svmm/build" ]; then
    (cd "$RFS/root/svmm/build" && find . -path ./cache -prune -o -path ./test-logs -prune -o -type f \
        \( -name log -o -name '*.log' \) -size -50M -print0 | xargs -0 -r cp --parents -t "$LOG/build" 2>/dev/null) ||
        true
fi

# ---- summary ----
echo | tee -a "$OUT"
say "fresh-check: summary (commit ${head:0:12}, logs in $LOG)"
for p in "${phases[@]}"; do say "    $p"; done
tr -d '\r' < "$LOG/make-test.log" > "$LOG/.test.txt"
closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$LOG/.test.txt" | tail -n1 || true)
say "make test: exit $test_rc; closing line: ${closing:-<none>}"
nfail=$(awk '{ print $3 }' <<<"${closing:-x x -1}")
# The failing tiers, each with the first error lines of its log.
while read -r tier; do
    [ -n "$tier" ] || continue
    say "  failed tier $tier:"
    tl=$LOG/test-logs/$tier.log
    [ -f "$tl" ] || tl=$LOG/.test.txt
    grep -E 'FAIL|[Ee]rror|cannot|failed to|not found|No such|TIMEOUT' "$tl" | grep -v -E '^=== tier' |
        head -n 6 | while IFS= read -r l; do say "      ${l:0:200}"; done
done < <(sed -n -E 's/^=== tier ([^ :]+): [0-9]+ passed, [1-9][0-9]* failed.*/\1/p' "$LOG/.test.txt")
# A tier that checked nothing on a fresh machine is suspect (e.g. a tool it needs is missing).
sed -n -E 's/^=== tier ([^ :]+): 0 passed, 0 failed.*/  WARNING: tier \1 ran no checks (0 passed, 0 failed)/p' "$LOG/.test.txt" |
    while IFS= read -r l; do say "$l"; done
sed -n -E 's/^=== tier: ([^ ]+) SKIPPED: (.*)/  skipped \1: \2/p' "$LOG/.test.txt" | while IFS= read -r l; do say "$l"; done
if [ -z "$closing" ]; then
    tail -n 8 "$LOG/.test.txt" | while IFS= read -r l; do say "  | $l"; done
fi
rm -f "$LOG/.test.txt"

uname_line=$(tr -d '\r' < "$LOG/make-demo.log" | grep -E -o 'Linux [^ ]+ [^ ]+ #[0-9]+ .*aarch64( GNU/Linux)?' | head -n1 || true)
if [ -n "$uname_line" ]; then
    say "make demo: exit $demo_rc; the guest printed: $uname_line"
else
    say "make demo: exit $demo_rc; NO guest 'uname -a' output (Linux ... aarch64) in the log; its last lines:"
    tr -d '\r' < "$LOG/make-demo.log" | tail -n 8 | while IFS= read -r l; do say "  | $l"; done
fi

why=()
[ "$test_rc" = 0 ] || why+=("make test exited $test_rc")
[ "$nfail" = 0 ] || why+=("make test: $([ -n "$closing" ] && echo "$nfail failed" || echo "no closing line")")
[ "$demo_rc" = 0 ] || why+=("make demo exited $demo_rc")
[ -n "$uname_line" ] || why+=("no guest uname -a from make demo")

if [ "$KEEP" = 1 ]; then
    say "fresh-check: root kept at $RFS (enter: unshare -m sh -c 'mount --bind $RFS $RFS; mount -t proc proc $RFS/proc; mount --rbind /dev $RFS/dev; chroot $RFS bash')"
else
    remove_root || true
fi
say "fresh-check: total $(( $(date +%s) - T0 ))s"
if [ ${#why[@]} = 0 ]; then
    say "fresh-check: PASS"
    exit 0
fi
reason=$(printf '%s; ' "${why[@]}"); reason=${reason%; }
say "fresh-check: FAIL ($reason)"
exit 1
