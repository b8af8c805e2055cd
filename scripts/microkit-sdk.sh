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
set -eu

VERSION=2.0.1
SEL4_COMMIT=4b97df4c7e24fd0c297e21cae8d997a08b8952b0 # seL4 "microkit" branch, named in Microkit 2.0.1's README
BOARD=qemu_virt_aarch64
ALL_VARIANTS="stock gicv3 fastpath gicv3-fastpath"
ME=$(basename "$0")

usage() {
    cat <<EOF
usage: $ME --microkit DIR --sel4 DIR [--prefix DIR] [--jobs N] [--build DIR] [VARIANT...]

Builds Microkit $VERSION SDKs for $BOARD and installs each to PREFIX/microkit-sdk-${VERSION}[-SUFFIX].

  --microkit DIR  Microkit source tree at tag $VERSION (its VERSION file must say $VERSION)
  --sel4 DIR      seL4 source tree of the "microkit" branch Microkit $VERSION was released against,
                  commit $SEL4_COMMIT (VERSION 13.0.0-dev)
  --prefix DIR    where the SDKs go (default /opt)
  --jobs N        parallel build jobs (default: $(nproc) here)
  --build DIR     scratch folder for the copies and builds (default /var/tmp/svmm-microkit-sdk);
                  it is emptied at the start of every run
  VARIANT         any of: $ALL_VARIANTS (default: all)

  stock           GICv2, configs debug and release                 -> microkit-sdk-$VERSION
  gicv3           GICv3 kernel (QEMU_GIC_VERSION=3), debug+release -> microkit-sdk-$VERSION-gicv3
  fastpath        release, KernelExceptionFastpath=ON              -> microkit-sdk-$VERSION-fastpath
                  (with KernelVerificationBuild=OFF, which it needs, and KernelDebugBuild=OFF)
  gicv3-fastpath  GICv3 and the exception fastpath, release        -> microkit-sdk-$VERSION-gicv3-fastpath

Nothing is downloaded but Debian packages: missing ones are installed with apt-get (needs root). The source
trees are copied to the build folder and only the copies are edited; see docs/sel4-sdk.md.
EOF
}

say() { echo "[microkit-sdk] $*"; }
die() { echo "[microkit-sdk] error: $*" >&2; exit 1; }

MICROKIT_SRC="" SEL4_SRC="" PREFIX=/opt JOBS=$(nproc) BUILD_DIR=/var/tmp/svmm-microkit-sdk VARIANTS=""
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
        -*) die "unknown option $1 (see --help)" ;;
        *) case " $ALL_VARIANTS " in
               *" $1 "*) case " $VARIANTS " in *" $1 "*) ;; *) VARIANTS="$VARIANTS $1" ;; esac ;;
               *) die "unknown variant '$1' (choose from: $ALL_VARIANTS)" ;;
           esac
           shift ;;
    esac
done
[ -n "$VARIANTS" ] || VARIANTS=$ALL_VARIANTS
[ -n "$MICROKIT_SRC" ] || { usage >&2; die "--microkit DIR is required"; }
[ -n "$SEL4_SRC" ] || { usage >&2; die "--sel4 DIR is required"; }
case $JOBS in ''|*[!0-9]*|0) die "--jobs wants a positive number, not '$JOBS'" ;; esac

# ---- the source trees: right place, right version ----
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
[ -d /usr/share/cargo/registry/roxmltree-0.16.0 ] ||
    say "warning: /usr/share/cargo/registry has no roxmltree-0.16.0; the tool's edits are made for that version"

mkdir -p "$PREFIX" 2>/dev/null || true
[ -w "$PREFIX" ] || die "cannot write to --prefix $PREFIX"

# ---- copies of the trees, and the compatibility edits (docs/sel4-sdk.md) ----
# The build folder is emptied: only one this script made (it has a marker file), or a new or empty one.
BUILD_DIR=$(realpath -m "$BUILD_DIR")
MARKER=.svmm-microkit-sdk-build
for t in "$MICROKIT_SRC" "$SEL4_SRC"; do
    case "$t/" in "$BUILD_DIR/"*) die "--build $BUILD_DIR contains the source tree $t" ;; esac
    case "$BUILD_DIR/" in "$t/"*) die "--build $BUILD_DIR is inside the source tree $t" ;; esac
done
if [ -d "$BUILD_DIR" ] && [ -n "$(ls -A "$BUILD_DIR")" ] && [ ! -f "$BUILD_DIR/$MARKER" ]; then
    die "--build $BUILD_DIR is not empty and was not made by this script: choose another folder"
fi
say "copying the trees into $BUILD_DIR"
rm -rf "$BUILD_DIR"
mkdir -p "$BUILD_DIR"
touch "$BUILD_DIR/$MARKER"
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

# 5. seL4's device-tree tools import pyfdt, which Debian does not package: unless the system Python
#    has it, give them a small reader for the part of its API they use (a DTB blob to a tree).
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

# ---- the Microkit tool: once, for every variant ----
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

export CMAKE_BUILD_PARALLEL_LEVEL=$JOBS MAKEFLAGS=-j$JOBS
summary=
for v in $VARIANTS; do
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
