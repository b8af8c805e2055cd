#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# stage-qemu.sh DEST: Debian's arm64 QEMU (tests/machine/fetch.sh --qemu) for the outer test machine:
# DEST/qemu (the aarch64 system emulator), DEST/lib/ld-linux-aarch64.so.1 and every library it needs
# under its soname (the initramfs packer dereferences symlinks; one copy per soname keeps it small).
# Run it in the outer machine as: DEST/lib/ld-linux-aarch64.so.1 --library-path DEST/lib DEST/qemu ...
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
QROOT=$BUILD/machine/qemu-arm64
DEST=$1
"$ROOT/tests/machine/fetch.sh" --qemu --quiet || { echo "stage-qemu: cannot fetch the arm64 QEMU" >&2; exit 1; }
mkdir -p "$DEST/lib"
# (fetch.sh keeps exactly one binary in usr/bin, the aarch64 system emulator.)
cp "$QROOT"/usr/bin/qemu-system-* "$DEST/qemu"
cp -L "$QROOT/lib/ld-linux-aarch64.so.1" "$DEST/lib/"
needed() { aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo=$(needed "$DEST/qemu")
while [ -n "$todo" ]; do
    set -- $todo
    so=$1; shift; todo="$*"
    [ -e "$DEST/lib/$so" ] && continue
    f=$(find "$QROOT/lib" "$QROOT/usr/lib" -name "$so" | head -n1)
    [ -n "$f" ] || { echo "stage-qemu: $so (needed by QEMU) is in none of the fetched packages" >&2; exit 1; }
    cp -L "$f" "$DEST/lib/$so"
    todo="$todo $(needed "$DEST/lib/$so")"
done
