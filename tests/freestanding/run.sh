#!/bin/bash
# Freestanding tier: the platform-free layers built as the seL4 platform will link them
# (picolibc, no OS). Checks (1) the library needs nothing from outside but a fixed list of libc
# string/format functions and libfdt — no malloc, no syscalls, no threads — and (2) a bare-metal
# program using it runs on QEMU (semihosting) and passes its checks.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LIB=$BUILD/freestanding/libsvmm.a
ELF=$BUILD/freestanding/selftest.elf
passed=0 failed=0

allowed='^(memcpy|memset|memmove|memcmp|strlen|strcmp|strchr|snprintf|vsnprintf|fdt_[a-z_]+)$'
outside=$(aarch64-linux-gnu-nm -u "$LIB" | awk 'NF==2{print $2}' | sort -u |
          grep -vxF -f <(aarch64-linux-gnu-nm --defined-only "$LIB" | awk 'NF==3{print $3}' | sort -u) |
          grep -vE "$allowed" || true)
if [ -z "$outside" ]; then
    echo "ok   freestanding: library imports only libc string/format functions and libfdt"; passed=$((passed + 1))
else
    echo "FAIL freestanding: library imports $(echo $outside)"; failed=$((failed + 1))
fi

out=$(timeout 60 qemu-system-aarch64 -M virt -cpu cortex-a57 -nic none -nographic -semihosting -kernel "$ELF" </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && grep -q "freestanding: [0-9]* passed, 0 failed" <<<"$out"; then
    echo "ok   freestanding: bare-metal self-test on QEMU ($(grep -o '[0-9]* passed' <<<"$out"))"; passed=$((passed + 1))
else
    echo "FAIL freestanding: bare-metal self-test (exit $rc):"; printf '    %s\n' "$out"; failed=$((failed + 1))
fi
echo "freestanding: $passed passed, $failed failed"
[ $failed = 0 ]
