# common.sh - shared helpers for the tests/machine scripts (sourced, not run).
#
# Layout (BUILD defaults to <repo>/build, which is never committed):
#   $BUILD/cache/            downloaded .deb files
#   $BUILD/machine/          Image, kver, extracted package roots, cached base cpios

MACHINE_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$MACHINE_DIR/../.." && pwd)/build}
CACHE=$BUILD/cache
MBUILD=$BUILD/machine
ROOT_KERNEL=$MBUILD/root-kernel
ROOT_BUSYBOX=$MBUILD/root-busybox

log() { echo "[machine] $*" >&2; }
die() { echo "[machine] ERROR: $*" >&2; exit 1; }

# Make sure fetch.sh has run (cheap when everything is up to date), then set KVER.
need_fetch() {
    "$MACHINE_DIR/fetch.sh" --quiet
    KVER=$(cat "$MBUILD/kver")
}

# newer_than TARGET SRC... : true if TARGET exists and is newer than every SRC.
newer_than() {
    local t=$1 s
    shift
    [ -e "$t" ] || return 1
    for s in "$@"; do [ "$t" -nt "$s" ] || return 1; done
}

# make_cpio DIR OUT.cpio.gz [CPIO-OPTION...] : pack DIR as a gzip'd newc
# archive owned by root (-L: store symlink targets instead of the links).
make_cpio() {
    local dir=$1 out=$2
    shift 2
    (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet "$@") |
        gzip -1 > "$out.tmp"
    mv "$out.tmp" "$out"
}

# ko_path NAME : path (relative to /lib/modules/$KVER) of module NAME, using the
# "name path" index written by fetch.sh (names normalised to underscores).
ko_path() {
    awk -v n="$(echo "$1" | tr - _)" '$1 == n { print $2; exit }' "$MBUILD/modindex"
}

# ko_cat PATH : module contents, decompressed if it is a .ko.xz.
ko_cat() { xz -dcf "$ROOT_KERNEL/lib/modules/$KVER/$1"; }

# ko_deps PATH : direct dependencies of a module, from its .modinfo "depends=".
ko_deps() {
    ko_cat "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1 | tr , ' '
}

# mod_order NAME... : print module paths in load order (dependencies first).
# Built-in modules (listed in modules.builtin) are skipped.
mod_order() {
    _seen=" "
    for _m in "$@"; do _mod_visit "$_m"; done
}
_mod_visit() {
    local p d
    p=$(ko_path "$1")
    if [ -z "$p" ]; then
        tr - _ < "$ROOT_KERNEL/lib/modules/$KVER/modules.builtin" | grep -q "/$(echo "$1" | tr - _)\.ko$" ||
            die "module $1 not found in kernel $KVER"
        return 0
    fi
    case $_seen in *" $p "*) return 0 ;; esac
    _seen="$_seen$p "
    for d in $(ko_deps "$p"); do _mod_visit "$d"; done
    echo "$p"
}

# base_tree DIR MODULE... : busybox + kernel modules (with a minimal modules.dep,
# usable by busybox modprobe) + the standard mount points.
base_tree() {
    local dir=$1 p deps mdir order
    shift
    order=$(mod_order "$@")        # fails (set -e) if a module is missing
    mdir=$dir/lib/modules/$KVER
    mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" \
             "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/root" "$mdir"
    cp "$ROOT_BUSYBOX/bin/busybox" "$dir/bin/busybox"
    # Applet symlinks: /init runs "busybox --install -s" at boot, which needs no
    # aarch64 emulation on the build host; sh is linked now so /init can start.
    ln -sf busybox "$dir/bin/sh"
    cp "$ROOT_KERNEL/lib/modules/$KVER/modules.builtin" "$ROOT_KERNEL/lib/modules/$KVER/modules.order" "$mdir/"
    : > "$mdir/modules.dep"
    for p in $order; do
        mkdir -p "$mdir/$(dirname "$p")"
        ko_cat "$p" > "$mdir/${p%.xz}"     # modules are stored uncompressed
        # depmod format: all transitive deps, the one to load first listed last.
        deps=$(mod_order $(ko_deps "$p") | tac | sed 's/\.xz$//' | tr '\n' ' ')
        echo "${p%.xz}: ${deps% }" | sed 's/: $/:/' >> "$mdir/modules.dep"
    done
}
