#!/bin/bash
# Build the Microkit 2.0.1 SDKs that svmm's seL4 test tiers and benchmarks look for, from source trees
# you already have, with Debian's packages only (docs/sel4-sdk.md says how to get the trees and why each
# edit below is needed). It downloads no sources, crates or Python modules: what it needs beyond the two
# trees comes from Debian's apt (installed as root when missing, like scripts/deps.sh). The trees are
# copied into a build folder (yours are never modified), the copies get a few compatibility edits, and
# each variant is built with Microkit's own build_sdk.py and installed to
# PREFIX/microkit-sdk-2.0.1[-SUFFIX]:
#
#   stock           PREFIX/microkit-sdk-2.0.1                 GICv2, debug and release (Microkit's options)
#   gicv3           PREFIX/microkit-sdk-2.0.1-gicv3           GICv3 kernel (QEMU gic-version=3), debug and release
#   fastpath        PREFIX/microkit-sdk-2.0.1-fastpath        release, KernelExceptionFastpath=ON
#   gicv3-fastpath  PREFIX/microkit-sdk-2.0.1-gicv3-fastpath  GICv3 + exception fastpath, release
#
# All of them: board qemu_virt_aarch64 only, seL4 MCS kernel (Microkit's default), the Microkit tool
# built against Debian's Rust crates, no PDF manual. Run scripts/microkit-sdk.sh --help for the options.
#
# One more variant, built only when asked for by name, from three other trees (Microkit 2.3.0, seL4 16.0.0
# and rust-sel4, whose capDL initialiser Microkit has used as its root task since 2.1.0):
#
#   smp             PREFIX/microkit-sdk-2.3.0-smp             multi-core (SMP) kernel, GICv2, smp-debug and
#                                                             smp-release; N cores (--smp-cores, default 2)
#
# Its Rust crates are Debian 13's librust-*-dev packages (Debian 12 has no syn 2 and no rkyv 0.8), fetched
# with apt-get download from the mirror this machine's apt already uses and unpacked in the build folder
# only (nothing is installed from Debian 13), plus the few crates Debian's rust-web-src vendors for std.
set -eu

VERSION=2.0.1
SEL4_COMMIT=4b97df4c7e24fd0c297e21cae8d997a08b8952b0 # seL4 "microkit" branch, named in Microkit 2.0.1's README
SMP_VERSION=2.3.0                                        # the newest Microkit release (tag 2.3.0, commit 8780fab8)
SMP_MICROKIT_COMMIT=8780fab8699f5aeec109b21325ff37c741736b24
SMP_SEL4_VERSION=16.0.0                                  # named by seL4/microkit-manifest at tag 2.3.0
SMP_SEL4_COMMIT=6e7c3b733d296cfd88d5fbf635c96e447a882374
RUST_SEL4_COMMIT=dbe6445d56059ed9a757e53c7137892aece1d179 # rust-sel4 rev pinned by Microkit 2.3.0's Cargo.toml
BOARD=qemu_virt_aarch64
ALL_VARIANTS="stock gicv3 fastpath gicv3-fastpath" # the default set; smp only when named
KNOWN_VARIANTS="$ALL_VARIANTS smp"
ME=$(basename "$0")

usage() {
    cat <<EOF
usage: $ME --microkit DIR --sel4 DIR [--prefix DIR] [--jobs N] [--build DIR] [VARIANT...]
       $ME --microkit-smp DIR --sel4-smp DIR --rust-sel4 DIR [--smp-cores N] [--prefix DIR] [--jobs N] [--build DIR] smp

Builds Microkit $VERSION SDKs for $BOARD and installs each to PREFIX/microkit-sdk-${VERSION}[-SUFFIX].

  --microkit DIR  Microkit source tree at tag $VERSION (its VERSION file must say $VERSION)
  --sel4 DIR      seL4 source tree of the "microkit" branch Microkit $VERSION was released against,
                  commit $SEL4_COMMIT (VERSION 13.0.0-dev)
  --prefix DIR    where the SDKs go (default /opt)
  --jobs N        parallel build jobs (default: $(nproc) here)
  --build DIR     scratch folder for the copies and builds (default /var/tmp/svmm-microkit-sdk);
                  it is emptied at the start of every run
  VARIANT         any of: $KNOWN_VARIANTS (default: $ALL_VARIANTS)

  stock           GICv2, configs debug and release                 -> microkit-sdk-$VERSION
  gicv3           GICv3 kernel (QEMU_GIC_VERSION=3), debug+release -> microkit-sdk-$VERSION-gicv3
  fastpath        release, KernelExceptionFastpath=ON              -> microkit-sdk-$VERSION-fastpath
                  (with KernelVerificationBuild=OFF, which it needs, and KernelDebugBuild=OFF)
  gicv3-fastpath  GICv3 and the exception fastpath, release        -> microkit-sdk-$VERSION-gicv3-fastpath

  smp             Microkit $SMP_VERSION, seL4 $SMP_SEL4_VERSION, multi-core      -> microkit-sdk-$SMP_VERSION-smp
                  configs smp-debug and smp-release, KernelMaxNumNodes=N (GICv2, as Microkit's board)
  --microkit-smp DIR  Microkit source tree at tag $SMP_VERSION ($SMP_MICROKIT_COMMIT)
  --sel4-smp DIR      seL4 source tree at tag $SMP_SEL4_VERSION ($SMP_SEL4_COMMIT)
  --rust-sel4 DIR     rust-sel4 source tree at $RUST_SEL4_COMMIT (the rev Microkit $SMP_VERSION pins)
  --smp-cores N       cores of the smp kernel, 2 to 4 (default 2); QEMU must run with -smp N exactly
  --debian13-uri URI  Debian mirror for the Debian 13 crate packages (default: the one apt uses here)

Nothing is downloaded but Debian packages: missing ones are installed with apt-get (needs root); for smp,
Debian 13 crate packages are also downloaded (apt-get download) and unpacked in the build folder. The source
trees are copied to the build folder and only the copies are edited; see docs/sel4-sdk.md.
EOF
}

say() { echo "[microkit-sdk] $*"; }
die() { echo "[microkit-sdk] error: $*" >&2; exit 1; }

MICROKIT_SRC="" SEL4_SRC="" PREFIX=/opt JOBS=$(nproc) BUILD_DIR=/var/tmp/svmm-microkit-sdk VARIANTS=""
SMP_MICROKIT_SRC="" SMP_SEL4_SRC="" RUST_SEL4_SRC="" SMP_CORES=2 DEB13_URI=""
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --microkit) [ $# -ge 2 ] || die "--microkit needs a directory"; MICROKIT_SRC=$2; shift 2 ;;
        --sel4) [ $# -ge 2 ] || die "--sel4 needs a directory"; SEL4_SRC=$2; shift 2 ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift 2 ;;
        --build) [ $# -ge 2 ] || die "--build needs a directory"; BUILD_DIR=$2; shift 2 ;;
        --microkit=*) MICROKIT_SRC=${1#*=}; shift ;;
        --sel4=*) SEL4_SRC=${1#*=}; shift ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --jobs=*) JOBS=${1#*=}; shift ;;
        --build=*) BUILD_DIR=${1#*=}; shift ;;
        --microkit-smp) [ $# -ge 2 ] || die "--microkit-smp needs a directory"; SMP_MICROKIT_SRC=$2; shift 2 ;;
        --sel4-smp) [ $# -ge 2 ] || die "--sel4-smp needs a directory"; SMP_SEL4_SRC=$2; shift 2 ;;
        --rust-sel4) [ $# -ge 2 ] || die "--rust-sel4 needs a directory"; RUST_SEL4_SRC=$2; shift 2 ;;
        --smp-cores) [ $# -ge 2 ] || die "--smp-cores needs a number"; SMP_CORES=$2; shift 2 ;;
        --debian13-uri) [ $# -ge 2 ] || die "--debian13-uri needs a URI"; DEB13_URI=$2; shift 2 ;;
        --microkit-smp=*) SMP_MICROKIT_SRC=${1#*=}; shift ;;
        --sel4-smp=*) SMP_SEL4_SRC=${1#*=}; shift ;;
        --rust-sel4=*) RUST_SEL4_SRC=${1#*=}; shift ;;
        --smp-cores=*) SMP_CORES=${1#*=}; shift ;;
        --debian13-uri=*) DEB13_URI=${1#*=}; shift ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) case " $KNOWN_VARIANTS " in
               *" $1 "*) case " $VARIANTS " in *" $1 "*) ;; *) VARIANTS="$VARIANTS $1" ;; esac ;;
               *) die "unknown variant '$1' (choose from: $KNOWN_VARIANTS)" ;;
           esac
           shift ;;
    esac
done
[ -n "$VARIANTS" ] || VARIANTS=$ALL_VARIANTS
NEED_201=0 NEED_SMP=0 # which source trees the asked-for variants need
for v in $VARIANTS; do case $v in smp) NEED_SMP=1 ;; *) NEED_201=1 ;; esac; done
if [ $NEED_201 = 1 ]; then
    [ -n "$MICROKIT_SRC" ] || { usage >&2; die "--microkit DIR is required"; }
    [ -n "$SEL4_SRC" ] || { usage >&2; die "--sel4 DIR is required"; }
fi
if [ $NEED_SMP = 1 ]; then
    [ -n "$SMP_MICROKIT_SRC" ] || { usage >&2; die "variant smp: --microkit-smp DIR is required"; }
    [ -n "$SMP_SEL4_SRC" ] || { usage >&2; die "variant smp: --sel4-smp DIR is required"; }
    [ -n "$RUST_SEL4_SRC" ] || { usage >&2; die "variant smp: --rust-sel4 DIR is required"; }
    case $SMP_CORES in 2|3|4) ;; *) die "--smp-cores wants 2, 3 or 4 (Microkit's qemu_virt_aarch64 has 4), not '$SMP_CORES'" ;; esac
fi
case $JOBS in ''|*[!0-9]*|0) die "--jobs wants a positive number, not '$JOBS'" ;; esac

# ---- the source trees: right place, right version ----
if [ $NEED_201 = 1 ]; then
[ -d "$MICROKIT_SRC" ] || die "--microkit $MICROKIT_SRC: no such directory"
[ -d "$SEL4_SRC" ] || die "--sel4 $SEL4_SRC: no such directory"
MICROKIT_SRC=$(cd "$MICROKIT_SRC" && pwd) SEL4_SRC=$(cd "$SEL4_SRC" && pwd)
for f in VERSION build_sdk.py tool/microkit/Cargo.toml loader/Makefile monitor/Makefile libmicrokit/Makefile; do
    [ -f "$MICROKIT_SRC/$f" ] || die "--microkit $MICROKIT_SRC does not look like a Microkit source tree (no $f)"
done
mk_version=$(tr -d '[:space:]' < "$MICROKIT_SRC/VERSION")
[ "$mk_version" = "$VERSION" ] ||
    die "--microkit $MICROKIT_SRC is Microkit $mk_version; this script builds $VERSION (git tag $VERSION)"
for f in VERSION CMakeLists.txt config.cmake src/plat/qemu-arm-virt/config.cmake src/arch/arm/machine/gic_v3.c include/kernel/boot.h; do
    [ -f "$SEL4_SRC/$f" ] || die "--sel4 $SEL4_SRC does not look like an seL4 source tree (no $f)"
done
sel4_version=$(tr -d '[:space:]' < "$SEL4_SRC/VERSION")
[ "$sel4_version" = 13.0.0-dev ] ||
    die "--sel4 $SEL4_SRC is seL4 $sel4_version; Microkit $VERSION needs the seL4 'microkit' branch at $SEL4_COMMIT (13.0.0-dev)"
grep -q 'create_untypeds_for_region(cap_t root_cnode_cap, bool_t device_memory' "$SEL4_SRC/include/kernel/boot.h" ||
    die "--sel4 $SEL4_SRC lacks the Microkit kernel changes: use the seL4 'microkit' branch, commit $SEL4_COMMIT, not master"
if [ -e "$SEL4_SRC/.git" ] && command -v git >/dev/null; then
    head=$(git -C "$SEL4_SRC" rev-parse HEAD 2>/dev/null || true)
    [ -z "$head" ] || [ "$head" = "$SEL4_COMMIT" ] ||
        say "warning: --sel4 is a git checkout at $head, not $SEL4_COMMIT (the one Microkit $VERSION names); going on"
fi
fi # NEED_201
if [ $NEED_SMP = 1 ]; then
    for d in "$SMP_MICROKIT_SRC" "$SMP_SEL4_SRC" "$RUST_SEL4_SRC"; do [ -d "$d" ] || die "$d: no such directory"; done
    SMP_MICROKIT_SRC=$(cd "$SMP_MICROKIT_SRC" && pwd) SMP_SEL4_SRC=$(cd "$SMP_SEL4_SRC" && pwd)
    RUST_SEL4_SRC=$(cd "$RUST_SEL4_SRC" && pwd)
    for f in VERSION build_sdk.py Cargo.toml initialiser/Cargo.toml tool/microkit/Cargo.toml loader/Makefile; do
        [ -f "$SMP_MICROKIT_SRC/$f" ] || die "--microkit-smp $SMP_MICROKIT_SRC does not look like a Microkit $SMP_VERSION tree (no $f)"
    done
    v=$(tr -d '[:space:]' < "$SMP_MICROKIT_SRC/VERSION")
    [ "$v" = "$SMP_VERSION" ] || die "--microkit-smp $SMP_MICROKIT_SRC is Microkit $v; variant smp is built from $SMP_VERSION (tag $SMP_VERSION)"
    grep -q "rev = \"$RUST_SEL4_COMMIT\"" "$SMP_MICROKIT_SRC/Cargo.toml" ||
        die "--microkit-smp $SMP_MICROKIT_SRC/Cargo.toml does not pin rust-sel4 $RUST_SEL4_COMMIT"
    for f in VERSION CMakeLists.txt src/plat/qemu-arm-virt/config.cmake; do
        [ -f "$SMP_SEL4_SRC/$f" ] || die "--sel4-smp $SMP_SEL4_SRC does not look like an seL4 source tree (no $f)"
    done
    v=$(tr -d '[:space:]' < "$SMP_SEL4_SRC/VERSION")
    [ "$v" = "$SMP_SEL4_VERSION" ] || die "--sel4-smp $SMP_SEL4_SRC is seL4 $v; Microkit $SMP_VERSION wants $SMP_SEL4_VERSION ($SMP_SEL4_COMMIT)"
    for f in crates/sel4-capdl-initializer/Cargo.toml crates/sel4-capdl-initializer/types/Cargo.toml crates/sel4/sys/Cargo.toml; do
        [ -f "$RUST_SEL4_SRC/$f" ] || die "--rust-sel4 $RUST_SEL4_SRC does not look like a rust-sel4 tree (no $f)"
    done
    for d in "$SMP_MICROKIT_SRC:$SMP_MICROKIT_COMMIT" "$SMP_SEL4_SRC:$SMP_SEL4_COMMIT" "$RUST_SEL4_SRC:$RUST_SEL4_COMMIT"; do
        if [ -e "${d%%:*}/.git" ] && command -v git >/dev/null; then
            head=$(git -C "${d%%:*}" rev-parse HEAD 2>/dev/null || true)
            [ -z "$head" ] || [ "$head" = "${d##*:}" ] || say "warning: ${d%%:*} is a git checkout at $head, not ${d##*:}; going on"
        fi
    done
fi

# ---- Debian packages ----
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH # Debian's python3, cargo and rustc before any other install
PKGS="make cmake ninja-build python3 python3-ply python3-jinja2 python3-yaml python3-jsonschema python3-lxml
      device-tree-compiler libxml2-utils qemu-system-arm ipxe-qemu gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
      librust-roxmltree-dev librust-serde-dev librust-serde-derive-dev librust-serde-json-dev"
# (qemu-system-aarch64, which seL4's build runs to dump the virt board's device tree, needs ipxe-qemu.)
# The Microkit tool wants Rust >= 1.73; Debian 12's rustc is 1.63, its rustc-web/cargo-web are newer.
rust_ok() {
    local v
    v=$(/usr/bin/rustc --version 2>/dev/null | awk '{print $2}') || return 1
    [ -n "$v" ] && [ -x /usr/bin/cargo ] && [ "$(printf '%s\n' 1.73.0 "$v" | sort -V | head -n1)" = 1.73.0 ]
}
rust_ok || PKGS="$PKGS rustc-web cargo-web"
# smp: the std sources for -Zbuild-std (and the crates they vendor), libclang for bindgen (rust-sel4's
# sel4-sys), ld.lld to link the initialiser (Debian's rustc has no rust-lld)
[ $NEED_SMP = 0 ] || PKGS="$PKGS rust-web-src libclang1-14 libclang-common-14-dev lld"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    [ "$(id -u)" = 0 ] || die "run as root to install them (or install them yourself):$missing"
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
rust_ok || die "/usr/bin/rustc and /usr/bin/cargo must be Rust 1.73 or newer (Debian 12: rustc-web, cargo-web)"
if [ $NEED_SMP = 1 ]; then
    v=$(/usr/bin/rustc --version | awk '{print $2}')
    [ "$(printf '%s\n' 1.94.0 "$v" | sort -V | head -n1)" = 1.94.0 ] ||
        die "variant smp: Microkit $SMP_VERSION's tool wants Rust 1.94 or newer; /usr/bin/rustc is $v (Debian 12: rustc-web)"
    RUST_LIBRARY=$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library
    [ -d "$RUST_LIBRARY/vendor" ] || die "variant smp: no $RUST_LIBRARY/vendor (Debian 12: rust-web-src)"
fi
[ -d /usr/share/cargo/registry/roxmltree-0.16.0 ] ||
    say "warning: /usr/share/cargo/registry has no roxmltree-0.16.0; the tool's edits are made for that version"

mkdir -p "$PREFIX" 2>/dev/null || true
[ -w "$PREFIX" ] || die "cannot write to --prefix $PREFIX"

# ---- copies of the trees, and the compatibility edits (docs/sel4-sdk.md) ----
# The build folder is emptied: only one this script made (it has a marker file), or a new or empty one.
BUILD_DIR=$(realpath -m "$BUILD_DIR")
MARKER=.svmm-microkit-sdk-build
for t in "$MICROKIT_SRC" "$SEL4_SRC" "$SMP_MICROKIT_SRC" "$SMP_SEL4_SRC" "$RUST_SEL4_SRC"; do
    [ -n "$t" ] || continue
    case "$t/" in "$BUILD_DIR/"*) die "--build $BUILD_DIR contains the source tree $t" ;; esac
    case "$BUILD_DIR/" in "$t/"*) die "--build $BUILD_DIR is inside the source tree $t" ;; esac
done
if [ -d "$BUILD_DIR" ] && [ -n "$(ls -A "$BUILD_DIR")" ] && [ ! -f "$BUILD_DIR/$MARKER" ]; then
    die "--build $BUILD_DIR is not empty and was not made by this script: choose another folder"
fi
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"
touch "$BUILD_DIR/$MARKER"

# add_pyfdt SEL4_COPY: seL4's device-tree tools import pyfdt, which Debian does not package: unless the
# system Python has it, give them a small reader for the part of its API they use (a DTB blob to a tree).
add_pyfdt() {
/usr/bin/python3 - "$1" <<'PY'
import os
import subprocess
import sys

sel4 = sys.argv[1]

if subprocess.run(["/usr/bin/python3", "-c", "import pyfdt.pyfdt"], capture_output=True).returncode == 0:
    print("[microkit-sdk] python3 has pyfdt: using it")
else:
    os.makedirs(os.path.join(sel4, "tools/pyfdt"))
    open(os.path.join(sel4, "tools/pyfdt/__init__.py"), "w").close()
    with open(os.path.join(sel4, "tools/pyfdt/pyfdt.py"), "w") as f:
        f.write('''\
"""A stand-in for the pyfdt package (not in Debian), written for svmm's scripts/microkit-sdk.sh.

Only what seL4's tools/hardware reads: FdtBlobParse(file).to_fdt().get_rootnode(), node iteration,
walk(), get_name(), and typed properties (.strings, .words, .bytes) classified as pyfdt does
(dtc's printable-string rule, then 32-bit big-endian words, else bytes)."""
import string
import struct

_PRINTABLE = set(string.printable.encode()) - {ord("\\r"), ord("\\n")}


def _is_strings(raw):
    if not raw or raw[-1] != 0:
        return False
    return all(s and all(c in _PRINTABLE for c in s) for s in raw[:-1].split(b"\\0"))


class FdtProperty:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name

    @staticmethod
    def new_raw_property(name, raw):
        if not raw:
            return FdtProperty(name)
        if _is_strings(raw):
            return FdtPropertyStrings(name, [s.decode("latin-1") for s in raw[:-1].split(b"\\0")])
        if len(raw) % 4 == 0:
            return FdtPropertyWords(name, list(struct.unpack(">%dI" % (len(raw) // 4), raw)))
        return FdtPropertyBytes(name, list(raw))


class FdtPropertyStrings(FdtProperty):
    def __init__(self, name, strings):
        super().__init__(name)
        self.strings = strings


class FdtPropertyWords(FdtProperty):
    def __init__(self, name, words):
        super().__init__(name)
        self.words = words


class FdtPropertyBytes(FdtProperty):
    def __init__(self, name, data):
        super().__init__(name)
        self.bytes = data


class FdtNode:
    def __init__(self, name):
        self.name = name
        self.subdata = []

    def get_name(self):
        return self.name

    def append(self, item):
        self.subdata.append(item)

    def __iter__(self):
        return iter(self.subdata)

    def __len__(self):
        return len(self.subdata)

    def __getitem__(self, index):
        return self.subdata[index]

    def walk(self, _prefix=""):
        """(path, item) for every property and node below this one, depth first, in blob order."""
        for item in self.subdata:
            path = _prefix + "/" + item.get_name()
            yield (path, item)
            if isinstance(item, FdtNode):
                yield from item.walk(path)


class Fdt:
    def __init__(self, root):
        self.rootnode = root

    def get_rootnode(self):
        return self.rootnode


class FdtBlobParse:
    def __init__(self, blob_file):
        data = blob_file.read()
        (magic, _total, off_struct, off_strings, _off_rsv, version, _last, _cpu,
         size_strings) = struct.unpack_from(">9I", data)
        if magic != 0xd00dfeed:
            raise Exception("not a device tree blob (bad magic)")
        if version < 16:
            raise Exception("device tree blob version %d is too old" % version)
        strings = data[off_strings:off_strings + size_strings]
        pos, stack, self.root = off_struct, [], None
        while True:
            (tag,) = struct.unpack_from(">I", data, pos)
            pos += 4
            if tag == 1:  # FDT_BEGIN_NODE
                end = data.index(b"\\0", pos)
                node = FdtNode(data[pos:end].decode("latin-1"))
                pos = (end + 4) & ~3
                if stack:
                    stack[-1].append(node)
                elif self.root is None:
                    self.root = node
                else:
                    raise Exception("device tree blob has two root nodes")
                stack.append(node)
            elif tag == 2:  # FDT_END_NODE
                stack.pop()
            elif tag == 3:  # FDT_PROP
                length, nameoff = struct.unpack_from(">II", data, pos)
                pos += 8
                raw = data[pos:pos + length]
                pos = (pos + length + 3) & ~3
                name = strings[nameoff:strings.index(b"\\0", nameoff)].decode("latin-1")
                stack[-1].append(FdtProperty.new_raw_property(name, raw))
            elif tag == 4:  # FDT_NOP
                pass
            elif tag == 9:  # FDT_END
                break
            else:
                raise Exception("bad device tree blob tag %d at offset %d" % (tag, pos - 4))

    def to_fdt(self):
        return Fdt(self.root)
''')
    print("[microkit-sdk] added seL4/tools/pyfdt/pyfdt.py: a reader for the part of pyfdt's API seL4 uses")
PY
}

if [ $NEED_201 = 1 ]; then
say "copying the trees into $BUILD_DIR"
MK=$BUILD_DIR/microkit SEL4=$BUILD_DIR/seL4
cp -a "$MICROKIT_SRC" "$MK"
cp -a "$SEL4_SRC" "$SEL4"
rm -rf "$MK/.git" "$MK/release" "$MK/build" "$MK/tool/microkit/target" "$SEL4/.git"

# Every edit checks it applies exactly where expected and says what it did.
/usr/bin/python3 - "$MK" "$SEL4" <<'PY'
import os
import re
import subprocess
import sys

mk, sel4 = sys.argv[1], sys.argv[2]


def edit(path, old, new, count=1, regex=False, why=""):
    with open(path) as f:
        text = f.read()
    found = len(re.findall(old, text)) if regex else text.count(old)
    if found != count:
        sys.exit(f"[microkit-sdk] error: {path}: expected {count} match(es) of {old!r}, found {found}: "
                 "is this the right source tree?")
    text = re.sub(old, new, text) if regex else text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    print(f"[microkit-sdk] edit {os.path.relpath(path, os.path.dirname(mk))}: {why}")


# 1. The Microkit tool, built offline against Debian's crates (roxmltree 0.16, serde 1.0.152,
#    serde_json 1.0.87) instead of the crates.io versions its Cargo.lock pins.
tool = os.path.join(mk, "tool/microkit")
os.remove(os.path.join(tool, "Cargo.lock"))
edit(os.path.join(tool, "Cargo.toml"), r'\nroxmltree = "[^"]*"', '\nroxmltree = "0.16"', regex=True,
     why="roxmltree 0.16 (Debian's librust-roxmltree-dev)")
edit(os.path.join(tool, "Cargo.toml"), r'\nserde = \{ version = "[^"]*"', '\nserde = { version = "1.0.152"',
     regex=True, why="serde 1.0.152 (Debian's librust-serde-dev)")
edit(os.path.join(tool, "Cargo.toml"), r'\nserde_json = "[^"]*"', '\nserde_json = "1.0.87"', regex=True,
     why="serde_json 1.0.87 (Debian's librust-serde-json-dev)")
# roxmltree 0.19's Node::range().start is Node::position() in 0.16.
edit(os.path.join(tool, "src/sdf.rs"), ".range().start)", ".position())", count=12,
     why="Node::range().start -> Node::position() (roxmltree 0.16 API)")
# serde_json gained Value::as_number() after 1.0.87; Value::as_u64() does the same check directly.
edit(os.path.join(tool, "src/sel4.rs"),
     r'\n\s*\.as_number\(\)\n\s*\.expect\("Invocation is not a number"\)', "", regex=True,
     why="Value::as_number().as_u64() -> Value::as_u64() (serde_json 1.0.87 API)")

# 2. build_sdk.py: per-variant kernel options (--kernel-option NAME=VALUE, repeatable), applied on top
#    of the board's and the configuration's own options.
bsdk = os.path.join(mk, "build_sdk.py")
edit(bsdk, "KERNEL_OPTIONS = Dict[str, Union[bool, str]]\n",
     "KERNEL_OPTIONS = Dict[str, Union[bool, str]]\nEXTRA_KERNEL_OPTIONS: KERNEL_OPTIONS = {}\n",
     why="EXTRA_KERNEL_OPTIONS")
edit(bsdk, "    config_args = list(board.kernel_options.items()) + list(config.kernel_options.items())\n",
     "    merged_options = dict(board.kernel_options)\n"
     "    merged_options.update(config.kernel_options)\n"
     "    merged_options.update(EXTRA_KERNEL_OPTIONS)\n"
     "    config_args = list(merged_options.items())\n",
     why="kernel options = board + config + --kernel-option")
edit(bsdk, '    parser.add_argument("--skip-tool", action="store_true", help="Tool will not be built")\n',
     '    parser.add_argument("--kernel-option", action="append", default=[], metavar="NAME=VALUE", '
     'help="Extra seL4 CMake option for every board and config (repeatable)")\n'
     '    parser.add_argument("--skip-tool", action="store_true", help="Tool will not be built")\n',
     why="--kernel-option NAME=VALUE")
edit(bsdk, "    version = args.version\n",
     "    version = args.version\n"
     "    for option in args.kernel_option:\n"
     "        name, sep, value = option.partition(\"=\")\n"
     "        if not sep or not name:\n"
     "            raise Exception(f\"--kernel-option wants NAME=VALUE, not '{option}'\")\n"
     "        EXTRA_KERNEL_OPTIONS[name] = value\n",
     why="parse --kernel-option")

# 3. Loader, monitor and libmicrokit with Debian's aarch64-linux-gnu-gcc, which makes position-
#    independent code by default (--enable-default-pie); Arm's aarch64-none-elf-gcc, which Microkit
#    uses, does not. Their linker scripts have no place for a GOT.
for comp in ("loader", "monitor", "libmicrokit"):
    edit(os.path.join(mk, comp, "Makefile"), "CFLAGS := -std=gnu11", "CFLAGS := -fno-pie -fno-pic -std=gnu11",
         why="-fno-pie -fno-pic (Debian's cross gcc defaults to PIE)")

# 3b. The loader on qemu_virt_aarch64 puts every interrupt in group 1 through the GICv2 distributor
#     and CPU interface. QEMU's GICv3 has no CPU interface at that address (0x08010000): the write
#     aborts and the loader hangs silently. Let it see the kernel's configuration (as later Microkit
#     loaders do) and leave a GICv3 to the kernel.
edit(os.path.join(mk, "loader/Makefile"), "CFLAGS := -fno-pie -fno-pic -std=gnu11",
     "CFLAGS := -I$(SEL4_SDK)/include -fno-pie -fno-pic -std=gnu11", why="the kernel's gen_config.h")
loader_c = os.path.join(mk, "loader/src/loader.c")
edit(loader_c, "#include <stddef.h>\n", "#include <stddef.h>\n#include <kernel/gen_config.h>\n",
     why="#include <kernel/gen_config.h>")
edit(loader_c, "#if defined(BOARD_zcu102) || defined(BOARD_qemu_virt_aarch64)\n    configure_gicv2();\n",
     "#if defined(BOARD_zcu102) || (defined(BOARD_qemu_virt_aarch64) && !defined(CONFIG_ARM_GIC_V3_SUPPORT))\n"
     "    configure_gicv2();\n", why="no GICv2 set-up on a GICv3")

# 4. seL4 for qemu-arm-virt with a GICv3: QEMU_GIC_VERSION=3 (later seL4 has an option by this name;
#    this revision builds qemu-arm-virt for a GICv2 only).
qcfg = os.path.join(sel4, "src/plat/qemu-arm-virt/config.cmake")
if "QEMU_GIC_VERSION" in open(qcfg).read():
    print("[microkit-sdk] seL4 already has QEMU_GIC_VERSION: no GICv3 edits")
else:
    edit(qcfg, "    config_set(KernelARMPlatform ARM_PLAT qemu-arm-virt)\n",
         "    config_set(KernelARMPlatform ARM_PLAT qemu-arm-virt)\n"
         "    # svmm scripts/microkit-sdk.sh: -DQEMU_GIC_VERSION=3 for QEMU's -machine gic-version=3\n"
         "    if(\"${QEMU_GIC_VERSION}\" STREQUAL \"3\")\n"
         "        set(KernelArmGicV3 ON)\n"
         "    endif()\n",
         why="QEMU_GIC_VERSION=3 turns on KernelArmGicV3")
    edit(qcfg, '                list(APPEND QEMU_MACHINE "dumpdtb=${QEMU_DTB}")\n',
         '                if("${QEMU_GIC_VERSION}" STREQUAL "3")\n'
         '                    list(APPEND QEMU_MACHINE "gic-version=3")\n'
         '                endif()\n'
         '                list(APPEND QEMU_MACHINE "dumpdtb=${QEMU_DTB}")\n',
         why="the device tree dumped from QEMU has the GICv3 too")
    edit(qcfg, "        INTERRUPT_CONTROLLER arch/machine/gic_v2.h\n",
         "        INTERRUPT_CONTROLLER ${QEMU_GIC_HEADER}\n", why="GIC driver header by QEMU_GIC_VERSION")
    edit(qcfg, "    CFILES src/arch/arm/machine/gic_v2.c src/arch/arm/machine/l2c_nop.c\n",
         "    CFILES ${QEMU_GIC_SOURCE} src/arch/arm/machine/l2c_nop.c\n", why="GIC driver source by QEMU_GIC_VERSION")
    edit(qcfg, "declare_platform(qemu-arm-virt KernelPlatformQEMUArmVirt PLAT_QEMU_ARM_VIRT KernelArchARM)\n",
         "declare_platform(qemu-arm-virt KernelPlatformQEMUArmVirt PLAT_QEMU_ARM_VIRT KernelArchARM)\n"
         "\n"
         "if(\"${QEMU_GIC_VERSION}\" STREQUAL \"3\")\n"
         "    set(QEMU_GIC_HEADER arch/machine/gic_v3.h)\n"
         "    set(QEMU_GIC_SOURCE src/arch/arm/machine/gic_v3.c)\n"
         "else()\n"
         "    set(QEMU_GIC_HEADER arch/machine/gic_v2.h)\n"
         "    set(QEMU_GIC_SOURCE src/arch/arm/machine/gic_v2.c)\n"
         "endif()\n",
         why="QEMU_GIC_VERSION picks gic_v2 or gic_v3")
    # QEMU's GICv3 (virt, secure=off: no security extensions) comes out of reset with every
    # redistributor asleep and every interrupt in group 0, which it signals as FIQ; seL4 expects a
    # loader to have woken the redistributor and takes IRQs (group 1) only. Microkit's loader does
    # neither for a GICv3, so seL4 does both on qemu-arm-virt. gic_v3.c is built for GICv3 only.
    gic3 = os.path.join(sel4, "src/arch/arm/machine/gic_v3.c")
    edit(gic3, "    /* Turn on the distributor */\n",
         "#ifdef CONFIG_PLAT_QEMU_ARM_VIRT\n"
         "    /* svmm scripts/microkit-sdk.sh: QEMU resets SPIs to group 0 (FIQ); seL4 takes group 1 */\n"
         "    for (i = SPI_START; i < nr_lines; i += 32) {\n"
         "        gic_dist->igrouprn[(i / 32)] = IRQ_SET_ALL;\n"
         "    }\n"
         "#endif\n"
         "\n"
         "    /* Turn on the distributor */\n",
         why="qemu-arm-virt: SPIs in group 1")
    edit(gic3, "            val = gic_rdist_map[core_id]->waker;\n            if (val & GICR_WAKER_ChildrenAsleep) {\n",
         "            val = gic_rdist_map[core_id]->waker;\n"
         "#ifdef CONFIG_PLAT_QEMU_ARM_VIRT\n"
         "            /* svmm scripts/microkit-sdk.sh: QEMU resets the redistributor asleep and no loader\n"
         "             * has woken it: clear ProcessorSleep and wait for ChildrenAsleep to clear. */\n"
         "            if (val & GICR_WAKER_ChildrenAsleep) {\n"
         "                gic_rdist_map[core_id]->waker = val & ~GICR_WAKER_ProcessorSleep;\n"
         "                for (word_t n = 0; n < 1000000 && (val & GICR_WAKER_ChildrenAsleep); n++) {\n"
         "                    val = gic_rdist_map[core_id]->waker;\n"
         "                }\n"
         "            }\n"
         "#endif\n"
         "            if (val & GICR_WAKER_ChildrenAsleep) {\n",
         why="qemu-arm-virt: wake the redistributor")
    edit(gic3, "    gic_rdist_sgi_ppi_map[CURRENT_CPU_INDEX()]->isenabler0 = 0x0000ffff;\n",
         "    gic_rdist_sgi_ppi_map[CURRENT_CPU_INDEX()]->isenabler0 = 0x0000ffff;\n"
         "#ifdef CONFIG_PLAT_QEMU_ARM_VIRT\n"
         "    /* svmm scripts/microkit-sdk.sh: SGIs and PPIs (the timers) in group 1 too */\n"
         "    gic_rdist_sgi_ppi_map[CURRENT_CPU_INDEX()]->igroupr0 = IRQ_SET_ALL;\n"
         "#endif\n",
         why="qemu-arm-virt: SGIs and PPIs in group 1")

PY
add_pyfdt "$SEL4"

# ---- the Microkit tool: once, for every 2.0.1 variant ----
export CARGO_HOME=$BUILD_DIR/cargo-home CARGO_BUILD_JOBS=$JOBS
mkdir -p "$CARGO_HOME"
cat > "$CARGO_HOME/config.toml" <<'EOF'
# Crates come from Debian's librust-*-dev packages only.
[source.crates-io]
replace-with = "debian-packages"
[source.debian-packages]
directory = "/usr/share/cargo/registry"
[net]
offline = true
EOF
HOST_TRIPLE=$(/usr/bin/rustc -vV | sed -n 's/^host: //p')
say "building the Microkit tool with $(/usr/bin/rustc --version) against Debian's crates (cargo test, then cargo build --release)"
start=$(date +%s)
(cd "$MK/tool/microkit" && /usr/bin/cargo test -q >"$BUILD_DIR/tool-test.log" 2>&1) ||
    { tail -n 30 "$BUILD_DIR/tool-test.log"; die "the Microkit tool's tests failed (log: $BUILD_DIR/tool-test.log)"; }
(cd "$MK/tool/microkit" && /usr/bin/cargo build -q --release --target "$HOST_TRIPLE")
TOOL=$MK/tool/microkit/target/$HOST_TRIPLE/release/microkit
[ -x "$TOOL" ] || die "cargo did not produce $TOOL"
say "tool built in $(( $(date +%s) - start )) s: $TOOL"
fi # NEED_201

# ---- variant smp: Microkit 2.3.0, seL4 16.0.0 and rust-sel4, with Debian 13's crates ----
# Microkit has set systems up with a capDL initialiser (rust-sel4's, in Rust, built for
# aarch64-unknown-none) since 2.1.0, the release that brought SMP. Its crates (syn 2, rkyv 0.8,
# bindgen 0.71+, pest, ...) are not in Debian 12, whose newest syn is 1.0; Debian 13 packages them, and
# rust-web-src vendors the rest (dlmalloc, unwinding, ...) for std. See docs/sel4-sdk.md.
# The Debian 13 packages the build's Cargo.lock resolves to (the crate, not its feature packages):
SMP_DEB13_PKGS="librust-aho-corasick-dev librust-autocfg-dev librust-bindgen-dev librust-bitflags-dev
  librust-block-buffer-dev librust-bytecheck-dev librust-bytecheck-derive-dev librust-cexpr-dev librust-clang-sys-dev
  librust-cpufeatures-dev librust-crypto-common-dev librust-digest-dev librust-either-dev librust-fallible-iterator-dev
  librust-generic-array-dev librust-glob-dev librust-hashbrown-dev librust-itertools-dev librust-itoa-dev
  librust-libloading-dev librust-lock-api-dev librust-log-dev librust-minimal-lexical-dev librust-munge-dev
  librust-munge-macro-dev librust-nom-dev librust-once-cell-dev librust-pest-dev librust-pest-derive-dev
  librust-pest-generator-dev librust-pest-meta-dev librust-prettyplease-dev librust-proc-macro2-dev librust-ptr-meta-dev
  librust-ptr-meta-derive-dev librust-quote-dev librust-rancor-dev librust-regex-dev librust-regex-automata-dev
  librust-regex-syntax-dev librust-rend-dev librust-rkyv-dev librust-rkyv-derive-dev librust-roxmltree-dev
  librust-rustc-hash-dev librust-rustversion-dev librust-ryu-dev librust-scopeguard-dev librust-serde-dev
  librust-serde-derive-dev librust-serde-json-dev librust-sha2-dev librust-shlex-dev librust-simdutf8-dev librust-syn-dev
  librust-thiserror-1-dev librust-thiserror-impl-1-dev librust-tinyvec-dev librust-tinyvec-macros-dev librust-typenum-dev
  librust-ucd-trie-dev librust-unicode-ident-dev librust-version-check-dev librust-xml-rs-dev librust-xmltree-dev"

if [ $NEED_SMP = 1 ]; then
SB=$BUILD_DIR/smp
SMK=$SB/microkit SSEL4=$SB/seL4 SRS=$SB/rust-sel4
say "smp: copying Microkit $SMP_VERSION, seL4 $SMP_SEL4_VERSION and rust-sel4 into $SB"
mkdir -p "$SB"
cp -a "$SMP_MICROKIT_SRC" "$SMK"
cp -a "$SMP_SEL4_SRC" "$SSEL4"
cp -a "$RUST_SEL4_SRC" "$SRS"
rm -rf "$SMK/.git" "$SMK/release" "$SMK/build" "$SMK/target" "$SSEL4/.git" "$SRS/.git" "$SRS/target"

# Debian 13's crate packages, downloaded (not installed) with apt-get from this machine's Debian mirror,
# through an apt configuration of its own in the build folder, and unpacked there.
if [ -z "$DEB13_URI" ]; then
    DEB13_URI=$(/usr/bin/python3 - <<'PY'
import glob, re
# the URI of this machine's main Debian 12 entry (deb822 .sources or one-line sources.list)
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = dict(re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", stanza))
        if "bookworm" in fields.get("Suites", "").split() and "main" in fields.get("Components", "").split():
            print(fields["URIs"].split()[0]); raise SystemExit
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s+.*\bmain\b", line)
        if m:
            print(m.group(1)); raise SystemExit
PY
)
    [ -n "$DEB13_URI" ] || die "smp: found no Debian 12 (bookworm) main entry in /etc/apt to take the mirror from: use --debian13-uri URI"
fi
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || die "smp: no $KEYRING (package debian-archive-keyring) to check Debian 13's archive with"
APTD=$SB/apt
mkdir -p "$APTD/lists/partial" "$APTD/cache/archives/partial" "$APTD/preferences.d" "$SB/debs" "$SB/deb13"
: > "$APTD/status"
echo "deb [signed-by=$KEYRING] $DEB13_URI trixie main" > "$APTD/sources.list"
cat > "$APTD/apt.conf" <<EOF
Dir::State "$APTD";
Dir::State::Lists "$APTD/lists";
Dir::State::status "$APTD/status";
Dir::Cache "$APTD/cache";
Dir::Etc::SourceList "$APTD/sources.list";
Dir::Etc::SourceParts "$APTD/sources.list.d";
Dir::Etc::Preferences "$APTD/preferences";
Dir::Etc::PreferencesParts "$APTD/preferences.d";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
say "smp: downloading $(echo $SMP_DEB13_PKGS | wc -w) Debian 13 (trixie) crate packages from $DEB13_URI (not installed)"
APT_CONFIG=$APTD/apt.conf apt-get update -q > "$SB/apt-update.log" 2>&1 ||
    { tail -n 5 "$SB/apt-update.log"; die "smp: apt-get update for Debian 13 failed (log: $SB/apt-update.log)"; }
# shellcheck disable=SC2086
(cd "$SB/debs" && APT_CONFIG=$APTD/apt.conf apt-get download -q $SMP_DEB13_PKGS > "$SB/apt-download.log" 2>&1) ||
    { tail -n 5 "$SB/apt-download.log"; die "smp: apt-get download failed (log: $SB/apt-download.log)"; }
for d in "$SB"/debs/*.deb; do dpkg-deb -x "$d" "$SB/deb13"; done
# One directory source for cargo: Debian 13's crates, then the ones rust-web-src vendors for std (which
# -Zbuild-std resolves too, and which give dlmalloc, unwinding, gimli, miniz_oxide and adler2).
REG=$SB/registry
mkdir -p "$REG"
for d in "$SB"/deb13/usr/share/cargo/registry/* "$RUST_LIBRARY"/vendor/*; do
    [ -e "$REG/$(basename "$d")" ] || ln -s "$d" "$REG/"
done
(cd "$SB/debs" && ls) | sed 's/_[^_]*$//' > "$SB/debian13-packages.txt"
say "smp: $(ls "$REG" | wc -l) crates in $REG ($(ls "$SB/deb13/usr/share/cargo/registry" | wc -l) from Debian 13, the rest from rust-web-src)"

# The edits to the copies (docs/sel4-sdk.md, "The smp variant's edits").
/usr/bin/python3 - "$SMK" "$SSEL4" "$SRS" "$REG" "$SMP_CORES" <<'PY'
import os
import re
import sys
import tomllib

mk, sel4, rs, reg, cores = sys.argv[1:6]
top = os.path.dirname(mk)


def edit(path, old, new, count=1, regex=False, why=""):
    with open(path) as f:
        text = f.read()
    found = len(re.findall(old, text)) if regex else text.count(old)
    if found != count:
        sys.exit(f"[microkit-sdk] error: {path}: expected {count} match(es) of {old!r}, found {found}: "
                 "is this the right source tree?")
    text = re.sub(old, new, text) if regex else text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    print(f"[microkit-sdk] edit {os.path.relpath(path, top)}: {why}")


# 1. The capDL initialiser's crates from the rust-sel4 copy (path), not from git at the pinned rev.
os.remove(os.path.join(mk, "Cargo.lock"))
for crate, sub in (("sel4-capdl-initializer", "crates/sel4-capdl-initializer"),
                   ("sel4-capdl-initializer-types", "crates/sel4-capdl-initializer/types")):
    edit(os.path.join(mk, "Cargo.toml"),
         rf'(\[workspace\.dependencies\.{re.escape(crate)}\]\n)git = "[^"]*"\nrev = "[^"]*"\n',
         rf'\g<1>path = "{os.path.join(rs, sub)}"\n', regex=True, why=f"{crate} from the rust-sel4 copy")

# 2. Requirements lowered to the versions Debian packages. A requirement no version in the directory
#    source meets is lowered to the newest one of the same semver series (e.g. syn 2.0.108 -> 2.0.98);
#    four crates come from an older series, their APIs used here being the same (the tool's tests and
#    the builds check): roxmltree 0.19 -> 0.20 (newer), miniz_oxide 0.9 -> 0.8, xmltree 0.12 -> 0.10,
#    bindgen 0.72 -> 0.71. Only the packages the build uses are edited (found by following path
#    dependencies from Microkit's workspace).
OTHER_SERIES = {"roxmltree": (0, 20), "miniz_oxide": (0, 8), "xmltree": (0, 10), "bindgen": (0, 71)}
avail = {}
for d in os.listdir(reg):
    m = re.fullmatch(r"(.+?)-(\d+)\.(\d+)\.(\d+)", d)
    if m:
        avail.setdefault(m.group(1), []).append(tuple(int(x) for x in m.group(2, 3, 4)))


def series(v):
    return v[:1] if v[0] else v[:2] if v[1] else v


def meets(v, req):
    return series(v) == series(req) and v >= req


def lowered(name, text):
    m = re.fullmatch(r"\^?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if not m or name not in avail:
        return None
    req = tuple(int(x or 0) for x in m.groups())
    if any(meets(v, req) for v in avail[name]):
        return None
    want = OTHER_SERIES.get(name, series(req))
    fits = [v for v in avail[name] if series(v) == want and (name in OTHER_SERIES or v < req)]
    return "%d.%d.%d" % max(fits) if fits else None


root = tomllib.load(open(os.path.join(mk, "Cargo.toml"), "rb"))
ws_deps = root["workspace"]["dependencies"]
todo = [os.path.join(mk, m) for m in root["workspace"]["members"]]
members, seen = set(todo), set()
while todo:
    d = todo.pop()
    if d in seen:
        continue
    seen.add(d)
    data = tomllib.load(open(os.path.join(d, "Cargo.toml"), "rb"))
    tables = [data.get("dependencies", {}), data.get("build-dependencies", {})]
    if d in members:
        tables.append(data.get("dev-dependencies", {}))
    for tgt in data.get("target", {}).values():
        tables += [tgt.get("dependencies", {}), tgt.get("build-dependencies", {})]
    for table in tables:
        for name, spec in table.items():
            if isinstance(spec, dict) and spec.get("workspace"):
                spec = ws_deps[name]
            if isinstance(spec, dict) and "path" in spec:
                todo.append(os.path.normpath(os.path.join(d, spec["path"])))
    path = os.path.join(d, "Cargo.toml")
    lines = open(path).read().split("\n")
    table, changes = None, []
    for i, line in enumerate(lines):
        h = re.fullmatch(r"\[(.+)\]\s*", line)
        if h:
            table = h.group(1)
            continue
        if table is None:
            continue
        dep_table = re.fullmatch(r"(?:target\..+\.)?(?:build-|dev-)?dependencies", table)
        one_dep = re.fullmatch(r"(?:target\..+\.)?(?:build-|dev-)?dependencies\.([A-Za-z0-9_-]+)", table)
        m = None
        if dep_table:
            m = re.match(r'(([A-Za-z0-9_-]+)\s*=\s*(?:\{[^}]*?version\s*=\s*)?")([^"]+)(".*)', line)
            name = m and m.group(2)
        elif one_dep:
            m = re.match(r'((version)\s*=\s*")([^"]+)(".*)', line)
            name = one_dep.group(1)
        if m:
            new = lowered(name, m.group(3))
            if new:
                lines[i] = m.group(1) + new + m.group(4)
                changes.append(f"{name} {m.group(3)} -> {new}")
    if changes:
        with open(path, "w") as f:
            f.write("\n".join(lines))
        print(f"[microkit-sdk] edit {os.path.relpath(path, top)}: {', '.join(changes)}")

# 3. log 0.4.26 (Debian 13) has no LevelFilter::increment_severity (0.4.27): the next more verbose
#    level, saturating at Trace, is the first of LevelFilter::iter() above it.
edit(os.path.join(rs, "crates/sel4-capdl-initializer/src/lib_main.rs"),
     "        level_filter = level_filter.increment_severity();\n",
     "        level_filter = LevelFilter::iter().find(|l| *l > level_filter).unwrap_or(level_filter);\n",
     why="LevelFilter::increment_severity() -> LevelFilter::iter() (log 0.4.26 API)")

# 4. build_sdk.py: the initialiser with -Zbuild-std (Debian has no prebuilt core/alloc for
#    aarch64-unknown-none; RUSTC_BOOTSTRAP=1 is Microkit's already) and without --locked (no
#    Cargo.lock); qemu_virt_aarch64's SMP configs for N cores (Microkit: 4, all QEMU virt can have).
bsdk = os.path.join(mk, "build_sdk.py")
edit(bsdk, "                --locked \\\n                --target-dir {rust_target_dir} \\\n",
     "                -Z build-std=core,alloc,compiler_builtins \\\n"
     "                -Z build-std-features=compiler-builtins-mem \\\n"
     "                --target-dir {rust_target_dir} \\\n",
     why="initialiser: -Zbuild-std=core,alloc,compiler_builtins, no --locked")
edit(bsdk, r'(        name="qemu_virt_aarch64",\n(?:        [^\n]*\n){3})        smp_cores=4,\n',
     rf"\g<1>        smp_cores={cores},\n", regex=True, why=f"qemu_virt_aarch64: smp_cores={cores}")

# 5. -fno-pie -fno-pic for the loader, monitor and libmicrokit, as for 2.0.1: Debian's
#    aarch64-linux-gnu-gcc makes PIE by default.
for comp in ("loader", "monitor", "libmicrokit"):
    edit(os.path.join(mk, comp, "Makefile"), "CFLAGS := -std=gnu11", "CFLAGS := -fno-pie -fno-pic -std=gnu11",
         why="-fno-pie -fno-pic (Debian's cross gcc defaults to PIE)")
PY
add_pyfdt "$SSEL4"

# The Microkit tool (cargo test, cargo build) and the lock file the initialiser is built with.
export CARGO_HOME=$SB/cargo-home CARGO_BUILD_JOBS=$JOBS
mkdir -p "$CARGO_HOME"
cat > "$CARGO_HOME/config.toml" <<EOF
# Crates come from Debian 13's librust-*-dev packages and Debian 12's rust-web-src only.
[source.crates-io]
replace-with = "debian-packages"
[source.debian-packages]
directory = "$REG"
[net]
offline = true
EOF
HOST_TRIPLE=$(/usr/bin/rustc -vV | sed -n 's/^host: //p')
say "smp: building Microkit $SMP_VERSION's tool with $(/usr/bin/rustc --version) (cargo test, then cargo build --release)"
start=$(date +%s)
(cd "$SMK" && /usr/bin/cargo generate-lockfile -q > "$SB/lock.log" 2>&1) ||
    { tail -n 20 "$SB/lock.log"; die "smp: cargo could not resolve the crates (log: $SB/lock.log)"; }
(cd "$SMK" && /usr/bin/cargo test -q -p microkit-tool > "$SB/tool-test.log" 2>&1) ||
    { tail -n 30 "$SB/tool-test.log"; die "smp: the Microkit tool's tests failed (log: $SB/tool-test.log)"; }
grep -h '^test result' "$SB/tool-test.log" | grep -v ' 0 passed' | sed 's/^/[microkit-sdk]   tool /' || true
(cd "$SMK" && /usr/bin/cargo build -q --release -p microkit-tool --target "$HOST_TRIPLE" > "$SB/tool-build.log" 2>&1) ||
    { tail -n 30 "$SB/tool-build.log"; die "smp: the Microkit tool did not build (log: $SB/tool-build.log)"; }
SMP_TOOL=$SMK/target/$HOST_TRIPLE/release/microkit
[ -x "$SMP_TOOL" ] || die "cargo did not produce $SMP_TOOL"
say "smp: tool built in $(( $(date +%s) - start )) s: $SMP_TOOL"
fi # NEED_SMP

# ---- the variants ----
# variant_info VARIANT: sets SUFFIX, CONFIGS and OPTS (--kernel-option arguments for build_sdk.py).
variant_info() {
    # The fastpath needs KernelVerificationBuild OFF, which would turn debugging and printing on.
    local fast="--kernel-option KernelVerificationBuild=OFF --kernel-option KernelDebugBuild=OFF"
    fast="$fast --kernel-option KernelPrinting=OFF --kernel-option KernelExceptionFastpath=ON"
    case $1 in
        stock)          SUFFIX=;                CONFIGS=debug,release; OPTS= ;;
        gicv3)          SUFFIX=-gicv3;          CONFIGS=debug,release; OPTS="--kernel-option QEMU_GIC_VERSION=3" ;;
        fastpath)       SUFFIX=-fastpath;       CONFIGS=release;       OPTS=$fast ;;
        gicv3-fastpath) SUFFIX=-gicv3-fastpath; CONFIGS=release;       OPTS="--kernel-option QEMU_GIC_VERSION=3 $fast" ;;
    esac
}

# check_config SDK CONFIG WANT_GIC3 WANT_FASTPATH: the kernel has exactly the asked-for options
# (MCS and hypervisor as Microkit builds it, debug facilities only in debug).
check_config() {
    local h=$1/board/$BOARD/$2/include/kernel/gen_config.h
    [ -f "$h" ] || die "$h is missing"
    grep -q 'define CONFIG_KERNEL_MCS' "$h" || die "$h: not an MCS kernel"
    grep -q 'define CONFIG_ARM_HYPERVISOR_SUPPORT' "$h" || die "$h: no hypervisor support"
    if [ "$2" = debug ]; then grep -q 'define CONFIG_PRINTING' "$h" || die "$h: a debug kernel without CONFIG_PRINTING"
    else ! grep -q 'define CONFIG_DEBUG_BUILD\|define CONFIG_PRINTING' "$h" || die "$h: a release kernel with debugging"; fi
    if [ "$3" = 1 ]; then grep -q 'define CONFIG_ARM_GIC_V3_SUPPORT' "$h" || die "$h: no CONFIG_ARM_GIC_V3_SUPPORT"
    else ! grep -q 'define CONFIG_ARM_GIC_V3_SUPPORT' "$h" || die "$h: unexpected CONFIG_ARM_GIC_V3_SUPPORT"; fi
    if [ "$4" = 1 ]; then grep -q 'define CONFIG_EXCEPTION_FASTPATH' "$h" || die "$h: no CONFIG_EXCEPTION_FASTPATH"
    else ! grep -q 'define CONFIG_EXCEPTION_FASTPATH' "$h" || die "$h: unexpected CONFIG_EXCEPTION_FASTPATH"; fi
}

# check_smp_config SDK CONFIG: MCS, hypervisor, SMP_CORES cores, GICv2, debug facilities only in debug.
check_smp_config() {
    local h=$1/board/$BOARD/$2/include/kernel/gen_config.h
    [ -f "$h" ] || die "$h is missing"
    grep -q 'define CONFIG_KERNEL_MCS' "$h" || die "$h: not an MCS kernel"
    grep -q 'define CONFIG_ARM_HYPERVISOR_SUPPORT' "$h" || die "$h: no hypervisor support"
    grep -q 'define CONFIG_ENABLE_SMP_SUPPORT' "$h" || die "$h: no CONFIG_ENABLE_SMP_SUPPORT"
    grep -q "define CONFIG_MAX_NUM_NODES  *$SMP_CORES\$" "$h" || die "$h: CONFIG_MAX_NUM_NODES is not $SMP_CORES"
    ! grep -q 'define CONFIG_ARM_GIC_V3_SUPPORT' "$h" || die "$h: unexpected CONFIG_ARM_GIC_V3_SUPPORT"
    if [ "$2" = smp-debug ]; then grep -q 'define CONFIG_PRINTING' "$h" || die "$h: a debug kernel without CONFIG_PRINTING"
    else ! grep -q 'define CONFIG_DEBUG_BUILD\|define CONFIG_PRINTING' "$h" || die "$h: a release kernel with debugging"; fi
    for e in sel4.elf loader.elf monitor.elf initialiser.elf; do
        [ -f "$1/board/$BOARD/$2/elf/$e" ] || die "$1/board/$BOARD/$2/elf/$e is missing"
    done
}

# build_smp: variant smp, with Microkit 2.3.0's build_sdk.py (seL4, loader, monitor, libmicrokit and
# the initialiser for both SMP configs); the tool built above.
build_smp() {
    local dest=$PREFIX/microkit-sdk-$SMP_VERSION-smp log=$BUILD_DIR/build-smp.log configs=smp-debug,smp-release start sdk c took
    say "variant smp: Microkit $SMP_VERSION, seL4 $SMP_SEL4_VERSION, configs $configs, $SMP_CORES cores (KernelMaxNumNodes=$SMP_CORES), GICv2"
    say "  python3 build_sdk.py --sel4 $SSEL4 --boards $BOARD --configs $configs --gcc-toolchain-prefix-aarch64 aarch64-linux-gnu (log: $log)"
    start=$(date +%s)
    rm -rf "$SMK/build" "$SMK/release"
    # Debian's rustc has no rust-lld, the aarch64-unknown-none target's linker: Debian's ld.lld instead.
    if ! (cd "$SMK" && CARGO_HOME=$SB/cargo-home CARGO_TARGET_AARCH64_UNKNOWN_NONE_LINKER=ld.lld \
            /usr/bin/python3 build_sdk.py --sel4 "$SSEL4" --boards $BOARD --configs $configs \
            --gcc-toolchain-prefix-aarch64 aarch64-linux-gnu --skip-tool --skip-docs --skip-tar) > "$log" 2>&1; then
        tail -n 40 "$log"
        die "building variant smp failed (whole log: $log)"
    fi
    sdk=$SMK/release/microkit-sdk-$SMP_VERSION
    mkdir -p "$sdk/bin"
    install -m 755 "$SMP_TOOL" "$sdk/bin/microkit"
    for c in ${configs//,/ }; do check_smp_config "$sdk" "$c"; done
    "$sdk/bin/microkit" --help > /dev/null || die "$sdk/bin/microkit --help failed"
    say "  installing to $dest"
    rm -rf "$dest.new" "$dest"
    cp -a "$sdk" "$dest.new"
    mv "$dest.new" "$dest"
    took=$(( $(date +%s) - start ))
    say "variant smp done in ${took} s: $dest"
    summary="$summary  smp: $dest ($configs, $SMP_CORES cores) ${took} s\n"
}

export CMAKE_BUILD_PARALLEL_LEVEL=$JOBS MAKEFLAGS=-j$JOBS
summary=
for v in $VARIANTS; do
    [ "$v" != smp ] || { build_smp; continue; }
    variant_info "$v"
    dest=$PREFIX/microkit-sdk-$VERSION$SUFFIX
    log=$BUILD_DIR/build-$v.log
    say "variant $v: configs $CONFIGS, kernel options: ${OPTS:-none beyond Microkit defaults}"
    say "  python3 build_sdk.py --sel4 $SEL4 --boards $BOARD --configs $CONFIGS --toolchain-prefix-aarch64 aarch64-linux-gnu $OPTS (log: $log)"
    start=$(date +%s)
    rm -rf "$MK/build" "$MK/release"
    # shellcheck disable=SC2086
    if ! (cd "$MK" && /usr/bin/python3 build_sdk.py --sel4 "$SEL4" --boards $BOARD --configs "$CONFIGS" \
            --toolchain-prefix-aarch64 aarch64-linux-gnu --skip-tool --skip-docs --skip-tar $OPTS) > "$log" 2>&1; then
        tail -n 40 "$log"
        die "building variant $v failed (whole log: $log)"
    fi
    sdk=$MK/release/microkit-sdk-$VERSION
    install -m 755 "$TOOL" "$sdk/bin/microkit"
    gic3=0 fast=0
    case $v in gicv3*) gic3=1 ;; esac
    case $v in *fastpath) fast=1 ;; esac
    for c in ${CONFIGS//,/ }; do check_config "$sdk" "$c" $gic3 $fast; done
    say "  installing to $dest"
    rm -rf "$dest.new" "$dest"
    cp -a "$sdk" "$dest.new"
    mv "$dest.new" "$dest"
    took=$(( $(date +%s) - start ))
    say "variant $v done in ${took} s: $dest"
    summary="$summary  $v: $dest ($CONFIGS) ${took} s\n"
done
say "done:"
printf "%b" "$summary"
