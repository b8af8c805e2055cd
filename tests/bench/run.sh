#!/bin/bash
# make bench: the seL4 platform's exit-path and boot numbers (docs/performance.md explains them).
# Not part of `make test`; nothing here asserts a number, it measures and prints a table.
#
# usage: tests/bench/run.sh [SDK_DIR...]
#   default SDKs: $MICROKIT_SDK, else those of /opt/microkit-sdk-2.0.1{,-gicv3,-fastpath,-gicv3-fastpath} present
#   BENCH_CONFIGS="release debug"   Microkit configs for the MMIO micro-benchmark
#   BENCH_MMIO=1                    run the MMIO micro-benchmark (0: only the Linux boots)
#   BENCH_LINUX=1                   also boot the Debian kernel (release) for exits by kind and start-up time
#   BENCH_LINUX_CONFIGS=release     configs for the Linux boots
#   BENCH_BOOTARGS_EXTRA="..."      appended to every Linux boot's command line (e.g. initcall_debug)
#   BENCH_LINUX_VARIANTS="..."      only these Linux boots (names as in the table, e.g. cloud-1cpu-quiet-icount)
# Results: $BUILD/bench/results.txt (the table) and one log per run next to it.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
CONFIGS=${BENCH_CONFIGS:-release debug}
LINUX=${BENCH_LINUX:-1}
LINUX_CONFIGS=${BENCH_LINUX_CONFIGS:-release}
TIMEOUT=${BENCH_TIMEOUT:-900}
mkdir -p "$OUT"

if [ $# -gt 0 ]; then SDKS=("$@")
elif [ -n "${MICROKIT_SDK:-}" ]; then SDKS=("$MICROKIT_SDK")
else
    SDKS=()
    for s in /opt/microkit-sdk-2.0.1 /opt/microkit-sdk-2.0.1-gicv3 /opt/microkit-sdk-2.0.1-fastpath \
             /opt/microkit-sdk-2.0.1-gicv3-fastpath; do [ -d "$s" ] && SDKS+=("$s"); done
fi
[ ${#SDKS[@]} -gt 0 ] || { echo "bench: no Microkit SDK (set MICROKIT_SDK)"; exit 1; }

gic_of() { grep -qs 'define CONFIG_ARM_GIC_V3_SUPPORT' "$1/board/qemu_virt_aarch64/$2/include/kernel/gen_config.h" && echo 3 || echo 2; }
# The kernel variant as rows, logs and build folders name it (like sel4.mk's SEL4_BUILD): gicv2, gicv3,
# gicv2-fastpath, gicv3-fastpath. Stock and fastpath SDKs must not share a row name or a log.
kv_of() { echo "gicv$(gic_of "$1" "$2")$(grep -qs 'define CONFIG_EXCEPTION_FASTPATH' \
    "$1/board/qemu_virt_aarch64/$2/include/kernel/gen_config.h" && echo -fastpath)"; }

# build_example SDK CONFIG NAME KERNEL INITRD CPUS BOOTARGS -> prints the example directory
build_example() {
    local sdk=$1 config=$2 name=$3 kernel=$4 initrd=$5 cpus=$6 bootargs=$7 kv ex
    kv=$(kv_of "$sdk" "$config")
    ex=$BUILD/sel4/qemu_virt_aarch64-$config-$kv/bench-$name
    rm -f "$ex/vm_config.c" # the generator's inputs include CPUS and BOOTARGS, which make cannot see
    make -s -C "$ROOT" sel4-example BUILD="$BUILD" MICROKIT_SDK="$sdk" MICROKIT_CONFIG="$config" EXAMPLE="$ex" \
        GUEST_KERNEL="$kernel" GUEST_INITRD="$initrd" GUEST_CPUS="$cpus" GUEST_BOOTARGS="$bootargs" \
        > "$OUT/build-$config-$kv-$name.log" 2>&1 || { cat "$OUT/build-$config-$kv-$name.log" >&2; return 1; }
    echo "$ex"
}

# run_qemu EXAMPLE_DIR GIC LOG [QEMU_ARGS...]: boot until the VMM says the VM stopped; each output
# line is prefixed with the host's wall clock (seconds since QEMU was started).
run_qemu() {
    local ex=$1 gic=$2 log=$3 machine=virt,virtualization=on,highmem=off,secure=off start qemu status=timeout
    shift 3
    [ "$gic" = 3 ] && machine=$machine,gic-version=3
    start=${EPOCHREALTIME/./}
    # shellcheck disable=SC2046
    qemu-system-aarch64 -machine $machine -cpu cortex-a53 -nic none -m 2G -nographic -serial mon:stdio "$@" \
        -device loader,file="$ex/loader.img",addr=0x70000000,cpu-num=0 $(cat "$ex/qemu-images.args") \
        < /dev/null > >(while IFS= read -r l; do printf '%s %s\n' "${EPOCHREALTIME/./}" "${l%$'\r'}"; done > "$log.raw") 2>&1 &
    qemu=$!
    while [ $(( (${EPOCHREALTIME/./} - start) / 1000000 )) -lt "$TIMEOUT" ]; do
        if grep -q 'svmm\[[a-z0-9_]*\]|[a-z]*: exits:' "$log.raw" 2>/dev/null; then status=stopped; break; fi
        kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
        sleep 0.5
    done
    kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
    sleep 0.5 # let the timestamping reader drain
    awk -v s="$start" '{ t = $1; sub(/^[0-9]+ /, ""); printf "%.3f %s\n", (t - s) / 1e6, $0 }' "$log.raw" > "$log"
    rm -f "$log.raw"
    [ $status = stopped ] || echo "bench: $log: $status" >&2
    [ $status = stopped ]
}

field() { sed -n "s/.*[ ]$1=\([^ ;]*\).*/\1/p" <<<"$2" | head -n1; }

RES=$OUT/results.txt
: > "$RES"
row() { printf '%-34s %-10s %s\n' "$1" "$2" "$3" | tee -a "$RES"; }
echo "svmm seL4 bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null), QEMU $(qemu-system-aarch64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') -cpu cortex-a53" | tee -a "$RES"

# 1. MMIO round trips, measured by the bench guest under -icount shift=0.
make -s -C "$ROOT" BUILD="$BUILD" bench-guest || exit 1
GUEST=$BUILD/guest/bench-Image
head -c 4096 /dev/zero > "$OUT/dummy-initrd"
[ "${BENCH_MMIO:-1}" = 1 ] || SKIP_MMIO=1
for sdk in "${SDKS[@]}"; do
    [ -z "${SKIP_MMIO:-}" ] || break
    for config in $CONFIGS; do
        gic=$(gic_of "$sdk" "$config") kv=$(kv_of "$sdk" "$config"); tag="$config $kv"
        [ -d "$sdk/board/qemu_virt_aarch64/$config" ] || continue
        ex=$(build_example "$sdk" "$config" guest "$GUEST" "$OUT/dummy-initrd" 1 "") || { row "mmio ($tag)" FAIL build; continue; }
        log=$OUT/guest-$config-$kv.log
        run_qemu "$ex" "$gic" "$log" -icount shift=0,sleep=off || { row "mmio ($tag)" FAIL "see $log"; continue; }
        for b in gicd_typer_load gicd_isenabler_load gicd_isenabler_store uart_scr_store; do
            l=$(grep "BENCH $b " "$log")
            row "$b ($tag)" "$(field insn_per_access "$l")" "N=$(field n "$l"), best of 3, minus the RAM loop"
        done
        l=$(grep "BENCH first_insn" "$log")
        row "first guest insn ($tag)" "$(field ns "$l")" "instructions from QEMU reset (icount), 4 KiB guest image"
        if [ "$config" = release ]; then
            # The same guest padded to the size of Debian's arm64 Image (32 MiB): what loading a Linux-sized
            # kernel into guest RAM adds before the first guest instruction (image_size patched to match).
            big=$OUT/bench-Image-32M
            cp "$GUEST" "$big" && truncate -s 32M "$big" &&
                printf '\x00\x00\x00\x02\x00\x00\x00\x00' | dd of="$big" bs=1 seek=16 conv=notrunc status=none
            exb=$(build_example "$sdk" "$config" guest32m "$big" "$OUT/dummy-initrd" 1 "") &&
                run_qemu "$exb" "$gic" "$OUT/guest32m-$config-$kv.log" -icount shift=0,sleep=off &&
                row "first guest insn, 32 MiB Image ($tag)" \
                    "$(field ns "$(grep "BENCH first_insn" "$OUT/guest32m-$config-$kv.log")")" \
                    "instructions from QEMU reset (icount)"
            elf=$ex/svmm.elf
            row "VMM text ($tag)" "$(aarch64-linux-gnu-size "$elf" | awk 'NR==2{print $1}')" \
                "bytes; data $(aarch64-linux-gnu-size "$elf" | awk 'NR==2{print $2}'), bss $(aarch64-linux-gnu-size "$elf" | awk 'NR==2{print $3}')"
            aarch64-linux-gnu-nm --size-sort -S -t d "$elf" | grep -i ' [tT] ' | tail -n 12 > "$OUT/text-top-$kv.txt"
        fi
    done
done

# 2./3. Linux: exits by kind up to PSCI SYSTEM_OFF, and wall time from QEMU start to the VMM starting vCPU 0.
if [ "$LINUX" = 1 ]; then
    KERNEL=$BUILD/machine/Image
    [ -f "$KERNEL" ] || "$ROOT/tests/machine/fetch.sh" >/dev/null || exit 1
    echo 'echo "BENCH-MARKER online=$(cat /sys/devices/system/cpu/online)"' > "$OUT/guest-cmd"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$OUT/linux.cpio.gz" --cmd-file "$OUT/guest-cmd" >/dev/null || exit 1
    # Like the issue's reference: Debian's cloud kernel, no modules, an /init that only reports its
    # uptime and powers off (the standard kernel's initramfs loads the virtio modules first).
    CLOUD=$OUT/cloud-Image
    BUSYBOX=$BUILD/machine/root-busybox/bin/busybox
    "$ROOT/tests/bench/cloud-kernel.sh" "$CLOUD" || exit 1
    tree=$OUT/minimal-initrd.d
    rm -rf "$tree" && mkdir -p "$tree/bin" "$tree/proc" && cp "$BUSYBOX" "$tree/bin/" && ln -s busybox "$tree/bin/sh"
    printf '%s\n' '#!/bin/sh' '/bin/busybox mount -t proc proc /proc' 'read -r up _ < /proc/uptime' \
        'echo "[guest-init] init reached at uptime $up s"' '/bin/busybox poweroff -f' > "$tree/init"
    chmod 755 "$tree/init"
    (cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$OUT/minimal.cpio.gz"
    for sdk in "${SDKS[@]}"; do
        for config in $LINUX_CONFIGS; do
            gic=$(gic_of "$sdk" "$config") kv=$(kv_of "$sdk" "$config")
            # name:kernel:initrd:vCPUs:icount:bootargs. Under -icount the guest's clock is its instruction count, so
            # timer-driven exits no longer depend on how loaded the host is.
            for variant in "cloud-1cpu-quiet-icount:$CLOUD:$OUT/minimal.cpio.gz:1:1:console=ttyS0 quiet" \
                           "cloud-1cpu-verbose-icount:$CLOUD:$OUT/minimal.cpio.gz:1:1:console=ttyS0" \
                           "1cpu-quiet-icount:$KERNEL:$OUT/linux.cpio.gz:1:1:console=ttyS0 quiet" \
                           "1cpu-quiet:$KERNEL:$OUT/linux.cpio.gz:1:0:console=ttyS0 quiet" \
                           "1cpu-verbose:$KERNEL:$OUT/linux.cpio.gz:1:0:console=ttyS0 earlycon" \
                           "2cpu-verbose:$KERNEL:$OUT/linux.cpio.gz:2:0:console=ttyS0 earlycon"; do
                IFS=: read -r name kernel initrd cpus icount args <<<"$variant"
                args="$args${BENCH_BOOTARGS_EXTRA:+ $BENCH_BOOTARGS_EXTRA}"
                case " ${BENCH_LINUX_VARIANTS:-$name} " in *" $name "*) ;; *) continue ;; esac
                tag="$config $kv $name"
                qargs=()
                [ "$icount" = 1 ] && qargs=(-icount shift=0,sleep=off)
                ex=$(build_example "$sdk" "$config" "linux-${name%-icount}" "$kernel" "$initrd" "$cpus" "$args") ||
                    { row "linux ($tag)" FAIL build; continue; }
                log=$OUT/linux-$config-$kv-$name.log
                run_qemu "$ex" "$gic" "$log" "${qargs[@]}" || { row "linux ($tag)" FAIL "see $log"; continue; }
                l=$(grep -m1 'svmm\[[a-z0-9_]*\]|info: exits:' "$log")
                total=0
                for k in vm_fault smc wfx sysreg hvc vgic_maintenance vppi other; do v=$(field $k "$l"); total=$((total + ${v:-0})); done
                row "exits, all ($tag)" "$total" "$(sed 's/.*exits: //' <<<"$l")"
                # Like for like with the reference boot's 600 (GICD, maintenance, vtimer and vCPU faults, i.e.
                # SMC and WFI too): everything but console exits, which the reference's console did not take.
                row "exits, all but console ($tag)" \
                    "$((total - $(field uart "$l") - $(field virtio-console "$l")))" \
                    "gicd=$(field gicd "$l") gicr=$(field gicr "$l") vgic_maint=$(field vgic_maintenance "$l") vppi=$(field vppi "$l") smc=$(field smc "$l") wfx=$(field wfx "$l") sysreg=$(field sysreg "$l"); reference: 600"
                t=$(grep -m1 'svmm\[[a-z0-9_]*\]|info: starting vCPU 0' "$log" | cut -d' ' -f1)
                row "wall to vCPU 0 start ($tag)" "${t}s" "QEMU start to the VMM's 'starting vCPU 0' line ($([ "$icount" = 1 ] && echo 'under icount' || echo 'no icount'), host wall clock)"
                up=$(sed -n 's/.*init reached at uptime \([0-9.]*\) s.*/\1/p' "$log" | head -n1)
                row "guest boot-to-init ($tag)" "${up}s" "guest kernel uptime at /init (guest virtual time)"
            done
            rep=$ex/report.txt
            row "microkit invocations ($config $kv)" \
                "$(sed -n '/System Kernel Invocations/,/size of/s/.*# of invocations *: *\([0-9,]*\).*/\1/p' "$rep")" \
                "system, + $(sed -n '/Bootstrap Kernel Invocations/,/size of/s/.*# of invocations *: *\([0-9,]*\).*/\1/p' "$rep") bootstrap; pages: $(grep -o 'Page([0-9]* [KMG]iB)' "$rep" | sort | uniq -c | awk '{printf "%s%s x %s %s", s, $1, $2, $3; s=", "}')"
        done
    done
fi
echo "table: $RES"
