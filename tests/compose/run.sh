#!/bin/bash
# compose tier: svmm-compose (tools/compose) against its documented behaviour.
#  - every validation rule and every refusal of what does not work yet: bad/*.yaml ends with the
#    exact error lines expected ("# expect: ..."), checked for both platforms unless the file says
#    "# platform: sel4" or "# platform: hosted"; "# args: ..." adds svmm-compose arguments
#  - what does work, per platform: a system with every seL4 device, hosted disks and rng; a refused
#    description writes no output
#  - golden files for every example (examples/*/system.yaml): SDF, <vm>_config.c, <switch>_switchcfg.c, qemu-images.args,
#    hosted command lines and DTBs (as dtc text), under tests/compose/golden/<example>/
#  - determinism: two runs give byte-identical output
#  - virtio-rng seeds: each build reads a new one; rng_chacha.c does not build without one
#  - the Microkit tool accepts every example's SDF, with VMM images linked from the real svmm objects,
#    and each image with a virtio-rng carries its own seed (needs MICROKIT_SDK, default
#    /opt/microkit-sdk-2.0.1; otherwise counted as skipped, with the reason)
# Kernel and initrd are tiny fake files made here, so sizes in the goldens do not depend on downloads.
# UPDATE_GOLDEN=1 rewrites the goldens instead of comparing.
# Result line: "compose: N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
COMPOSE=$BUILD/host/svmm-compose
T=$BUILD/compose-test
SDK=${MICROKIT_SDK:-/opt/microkit-sdk-2.0.1}
passed=0 failed=0 skipped=0
ok() { echo "ok   compose: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL compose: $1"; failed=$((failed + 1)); }
skip() { echo "SKIP compose: $1"; skipped=$((skipped + 1)); }
result() { echo "compose: $passed passed, $failed failed, $skipped skipped"; }

make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null || { bad "build svmm-compose"; result; exit 1; }
rm -rf "$T" && mkdir -p "$T/build/machine"

# A fake arm64 Image: 1.5 MiB, header with image_size 2 MiB and the "ARM\x64" magic; a fake initrd.
head -c 1572864 /dev/zero > "$T/build/machine/Image"
printf '\000\000\040\000' | dd of="$T/build/machine/Image" bs=1 seek=16 conv=notrunc 2>/dev/null
printf 'ARM\144' | dd of="$T/build/machine/Image" bs=1 seek=56 conv=notrunc 2>/dev/null
head -c 300000 /dev/zero | tr '\0' 'i' > "$T/build/guest.cpio.gz"
# A board DT with the one node examples/passthrough takes (QEMU virt's virtio-mmio transport 31).
dtc -q -I dts -O dtb -o "$T/build/qemu-virt.dtb" - <<'D' || bad "the test's board DTB"
/dts-v1/;
/ { #address-cells = <2>; #size-cells = <2>;
    virtio_mmio@a003e00 { dma-coherent; interrupts = <0x00 0x2f 0x01>; reg = <0x00 0xa003e00 0x00 0x200>;
                          compatible = "virtio,mmio"; }; };
D

# ---- validation: exact messages ----
cd "$ROOT/tests/compose"
for f in bad/*.yaml; do
    platform=$(sed -n 's/^# platform: //p' "$f") args=$(sed -n 's/^# args: //p' "$f")
    # shellcheck disable=SC2086 # the file's extra arguments are words
    out=$("$COMPOSE" --check ${platform:+--platform "$platform"} $args --root "$T" "$f" 2>&1); rc=$?
    if grep -q '^# expect-prefix: ' "$f"; then
        want=$(sed -n 's/^# expect-prefix: //p' "$f")
        [ $rc = 1 ] && [ "${out:0:${#want}}" = "$want" ] && ok "rejects $f" || { bad "rejects $f (exit $rc)"; echo "$out"; }
    else
        want=$(sed -n 's/^# expect: //p' "$f")
        if [ $rc = 1 ] && [ "$out" = "$want" ]; then ok "rejects $f"; else
            bad "rejects $f (exit $rc)"; diff <(echo "$want") <(echo "$out") | sed 's/^/    /'; fi
    fi
done

# ---- a refused description writes nothing ----
rm -rf "$T/refused"
out=$("$COMPOSE" bad/passthrough.yaml --root "$T" -o "$T/refused" --up-script "$T/refused-up.sh" 2>&1); rc=$?
[ $rc = 1 ] && [ ! -e "$T/refused" ] && [ ! -e "$T/refused-up.sh" ] && grep -q 'svmm run has no device assignment' <<<"$out" &&
    ok "passthrough: refused for seL4 and hosted outputs, nothing written" || { bad "passthrough: refused, nothing written (exit $rc)"; echo "$out"; }
out=$("$COMPOSE" bad/passthrough.yaml --root "$T" --platform hosted -o "$T/refused" 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--platform hosted, but -o writes seL4 outputs' <<<"$out" &&
    ok "--platform: an output for the other platform is a usage error" || { bad "--platform conflict (exit $rc)"; echo "$out"; }
cd "$T"

# ---- what works on seL4: every device the seL4 VMM attaches, MACs, a native component ----
printf '\177ELF' > "$T/build/timer.elf"
cat > "$T/devices.yaml" <<'Y'
board: qemu_virt_aarch64
vms:
  - name: dev
    kernel: build/machine/Image
    devices:
      - type: console
      - type: blk
        ramdisk: 8M
      - type: rng
      - type: net
        mac: "52:54:00:12:34:56"
      - type: net
components:
  - name: timer
    program: build/timer.elf
    priority: 200
Y
if "$COMPOSE" "$T/devices.yaml" --root "$T" -o "$T/devices" 2> "$T/devices.err"; then
    c=$T/devices/dev_config.c
    grep -q '\.attach = { sel4_attach_console, sel4_attach_ramdisk, sel4_attach_rng, sel4_attach_null_net, sel4_attach_null_net },' "$c" &&
        ok "seL4: console, RAM disk, rng and two NICs each get their attach function" || bad "seL4: attach functions"
    grep -q '\.net_mac\[3\] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },' "$c" && [ "$(grep -c net_mac "$c")" = 1 ] &&
        ok "seL4: mac: reaches the VMM configuration (slot 3), the NIC without one keeps the VMM's default" || bad "seL4: mac"
    grep -q 'virtio-net (MAC 52:54:00:12:34:56, not connected: sent frames are dropped), virtio-net (MAC default' "$T/devices/svmm.system" &&
        ok "seL4: the SDF says the NICs are not connected" || bad "seL4: NIC comment in the SDF"
    grep -q "<program_image path=\"$T/build/timer.elf\" />" "$T/devices/svmm.system" &&
        ok "seL4: a native component's program is named by its path under --root" || bad "seL4: component program path"
else
    bad "seL4: a system with every seL4 device"; cat "$T/devices.err"
fi
# A console with multiport: true gets the MULTIPORT attach function on seL4 (the hostile guest's VM).
sed 's/^      - type: console$/      - type: console\n        multiport: true/' "$T/devices.yaml" > "$T/multiport.yaml"
if "$COMPOSE" "$T/multiport.yaml" --root "$T" -o "$T/multiport" 2> "$T/multiport.err"; then
    grep -q '\.attach = { sel4_attach_console_multiport, sel4_attach_ramdisk, ' "$T/multiport/dev_config.c" &&
        ok "seL4: a console with multiport: true gets sel4_attach_console_multiport" || bad "seL4: multiport attach function"
else
    bad "seL4: a console with multiport: true"; cat "$T/multiport.err"
fi
# Compile-time features (include/svmm/features.h): each VMM gets what its VM uses, FEATURES on top.
feats() { sed -n 's/^#define SVMM_FEATURE_\([A-Z_]*\) 1$/\1/p' "$1" | tr '\n' ' '; }
f=$(feats "$T/devices/dev_features.h" 2>/dev/null)
[ "$f" = "CONSOLE BLK NET RNG RESTART STATS " ] &&
    ok "seL4: dev_features.h: the VM's devices, restart and statistics; no watchdog, admin, slots, passthrough, SMP" ||
    bad "seL4: dev_features.h has: $f"
if "$COMPOSE" "$T/devices.yaml" --root "$T" -o "$T/devices-f" --features "+watchdog -stats -restart" 2> "$T/devices-f.err"; then
    f=$(feats "$T/devices-f/dev_features.h")
    [ "$f" = "CONSOLE BLK NET RNG WATCHDOG " ] && ok "seL4: --features forces features on (+) and off (-)" ||
        bad "seL4: --features: dev_features.h has: $f"
else
    bad "seL4: --features +watchdog -stats -restart"; cat "$T/devices-f.err"
fi
cat > "$T/hosted.yaml" <<'Y'
board: qemu_virt_aarch64
vms:
  - name: h
    kernel: build/machine/Image
    vcpus: 2
    pcpus: [2, 3]
    priority: 150
    devices:
      - type: console
      - type: blk
        file: disks/a.img
        readonly: true
      - type: blk
        file: disks/b.img
      - type: rng
Y
out=$("$COMPOSE" "$T/hosted.yaml" --root "$T" --hosted 2>&1)
grep -q -- "--cpus 2 .* --disk $T/disks/a.img,ro --disk $T/disks/b.img --rng\$" <<<"$out" &&
    ok "hosted: file disks (one read-only) and the rng are passed to svmm run" || { bad "hosted: disks and rng"; echo "$out"; }
grep -qx '# seL4 only, not applied by svmm run (docs/system-description.md): pcpus, priority' <<<"$out" &&
    ok "hosted: seL4-only fields given are named as not applied" || { bad "hosted: seL4-only note"; echo "$out"; }
cat > "$T/watchdog.yaml" <<'Y'
board: qemu_virt_aarch64
vms:
  - name: web
    kernel: build/machine/Image
    ram: 64M
    watchdog: 30
    watchdog_boot: 90
  - name: db
    kernel: build/machine/Image
    ram: 64M
    watchdog: 10
Y
out=$("$COMPOSE" "$T/watchdog.yaml" --root "$T" --hosted 2>&1)
grep -q -- " --watchdog 30,boot=90 --name web\$" <<<"$out" && grep -q -- " --watchdog 10 --name db\$" <<<"$out" &&
    ok "hosted: watchdog: goes to svmm run as --watchdog SECONDS[,boot=SECONDS] --name VM" ||
    { bad "hosted: watchdog arguments"; echo "$out"; }
cd "$ROOT/tests/compose"

# ---- golden files ----
# An example with the seL4 admin PD (admin:), cache colouring (cache:) or passthrough (board_dtb:) is for seL4 alone; one whose description has a fault
# policy or dynamic slots otherwise needs a supervisor: it is for svmm up alone (its plan); the
# others are for every output.
sel4_only() { grep -qE '^(admin|cache|board_dtb):' "$ROOT/examples/$1/system.yaml"; }
up_only() { ! sel4_only "$1" && grep -qE '^dynamic:|^    on_fault:' "$ROOT/examples/$1/system.yaml"; }
gen() { # gen EXAMPLE OUTDIR: every output, DTBs decompiled
    local e=$1 o=$2
    mkdir -p "$o"
    if sel4_only "$e"; then
        (cd "$T" && "$COMPOSE" "$ROOT/examples/$e/system.yaml" -o "$o" --dtb) || return 1
        for d in "$o"/*.dtb; do dtc -q -I dtb -O dts "$d" > "${d%.dtb}.dts" || return 1; done
        return 0
    fi
    if up_only "$e"; then
        (cd "$T" && "$COMPOSE" "$ROOT/examples/$e/system.yaml" --up-plan "$o/svmm-up.plan") || return 1
        return 0
    fi
    (cd "$T" && "$COMPOSE" "$ROOT/examples/$e/system.yaml" -o "$o" --dtb --up-script "$o/svmm-up.sh" --up-plan "$o/svmm-up.plan" && \
        "$COMPOSE" "$ROOT/examples/$e/system.yaml" --hosted > "$o/hosted.txt") || return 1
    for d in "$o"/*.dtb; do dtc -q -I dtb -O dts "$d" > "${d%.dtb}.dts" || return 1; done
}
for ex in "$ROOT"/examples/*/system.yaml; do
    e=$(basename "$(dirname "$ex")")
    if ! gen "$e" "$T/out/$e" 2> "$T/$e.err"; then bad "$e: generate"; cat "$T/$e.err"; continue; fi
    g=$ROOT/tests/compose/golden/$e
    if [ -n "${UPDATE_GOLDEN:-}" ]; then
        rm -rf "$g" && mkdir -p "$g" && (cd "$T/out/$e" && cp $(ls svmm.system ./*_config.c ./*_switchcfg.c ./*_admincfg.c qemu-images.args hosted.txt svmm-up.sh svmm-up.plan ./*.dts 2>/dev/null) "$g/")
        ok "$e: golden files written"
        continue
    fi
    for f in "$g"/*; do
        n=$(basename "$f")
        if cmp -s "$f" "$T/out/$e/$n"; then ok "$e: $n matches the golden file"; else
            bad "$e: $n differs from the golden file"; diff "$f" "$T/out/$e/$n" | head -20 | sed 's/^/    /'; fi
    done
    # ---- determinism ----
    gen "$e" "$T/again/$e" 2>/dev/null
    diff -r "$T/out/$e" "$T/again/$e" >/dev/null && ok "$e: two runs are byte-identical" || bad "$e: output differs between runs"
done

# ---- fault policy and dynamic slots: svmm up's plan only ----
out=$(cd "$T" && "$COMPOSE" "$ROOT/examples/admin/system.yaml" --up-script "$T/admin-up.sh" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "vms.vm1.on_fault: a fault policy needs a supervisor to apply it: hosted that is \`svmm up\` (--up-plan)" <<<"$out" &&
    grep -q "^.*:[0-9]*: dynamic: dynamic VM slots need an admin component" <<<"$out" &&
    ok "admin: svmm-up.sh refuses on_fault and dynamic slots (no supervisor), naming --up-plan" || { bad "admin: --up-script refusal"; echo "$out"; }
grep -qx 'vm vm1 input restart=3/60' "$T/out/admin/svmm-up.plan" && grep -qx 'image scratch rescue' "$T/out/admin/svmm-up.plan" &&
    ! grep -q '^vm scratch' "$T/out/admin/svmm-up.plan" &&
    ok "admin: the plan carries vm1's policy (3 restarts within 60 s) and slot scratch's image, not started" || bad "admin: plan"
sed 's/^    on_fault: restart .*/    on_fault: sometimes/' "$ROOT/examples/admin/system.yaml" > "$T/admin-bad.yaml"
sed 's/^    max_restarts: 3 .*/    max_restarts: 65/' "$ROOT/examples/admin/system.yaml" > "$T/admin-bad2.yaml"
sed 's/^    on_fault: restart .*/    on_fault: stop/' "$ROOT/examples/admin/system.yaml" > "$T/admin-bad3.yaml"
out=$(cd "$T" && "$COMPOSE" "$T/admin-bad.yaml" --up-plan "$T/admin-bad.plan" 2>&1; "$COMPOSE" "$T/admin-bad2.yaml" --up-plan "$T/admin-bad.plan" 2>&1;
      "$COMPOSE" "$T/admin-bad3.yaml" --up-plan "$T/admin-bad.plan" 2>&1)
grep -q "vms.vm1.on_fault: 'sometimes' is not restart or stop" <<<"$out" &&
    grep -q "vms.vm1.max_restarts: 65: give 1..64" <<<"$out" &&
    grep -q "vms.vm1.on_fault: max_restarts and restart_window limit on_fault: restart, which this VM does not have" <<<"$out" &&
    ok "admin: a bad on_fault and max_restarts are refused" || { bad "admin: bad policy"; echo "$out"; }

# ---- pCPU placement as cpu attributes (SMP SDKs) ----
(cd "$T" && "$COMPOSE" "$ROOT/examples/multicore/system.yaml" -o "$T/sdf-cpu" --sdf-cpu) &&
    [ "$(grep -c '<vcpu id="0" cpu="[0-1]" />' "$T/sdf-cpu/svmm.system")" = 2 ] &&
    grep -q '<vcpu id="0" cpu="1" />' "$T/sdf-cpu/svmm.system" &&
    ok "multicore --sdf-cpu: one vCPU on each of pCPUs 0 and 1 as cpu attributes" || bad "multicore --sdf-cpu"
(cd "$T" && "$COMPOSE" "$ROOT/examples/hybrid/system.yaml" -o "$T/cores" --cores 2) &&
    grep -q '<protection_domain name="vmm_main" priority="[0-9]*" cpu="0"' "$T/cores/svmm.system" &&
    grep -q '<protection_domain name="vmm_rt1" priority="[0-9]*" cpu="1"' "$T/cores/svmm.system" &&
    grep -q '^-smp 2 -device loader' "$T/cores/qemu-images.args" &&
    ok "hybrid --cores 2: each VMM on its VM's first pCPU, QEMU told -smp 2" || bad "hybrid --cores 2"
(cd "$T" && "$COMPOSE" "$ROOT/examples/hybrid/system.yaml" -o "$T/cores1" --cores 1 2>&1 | grep -q 'vms.main.pcpus\[1\]: pCPU 1: this seL4 kernel runs on 1 core (0..0)') &&
    ok "hybrid --cores 1: a pCPU beyond the kernel's cores is refused" || bad "hybrid --cores 1"

# ---- passive VMMs: the default follows --exception-fastpath, vmm_passive overrides it per VM ----
sed 's/^  - name: beta$/  - name: beta\n    vmm_passive: false/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive.yaml"
sed 's/^  - name: alpha$/  - name: alpha\n    vmm_passive: true/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive-one.yaml"
(cd "$T" && "$COMPOSE" "$T/passive.yaml" -o "$T/passive" --exception-fastpath && "$COMPOSE" "$T/passive-one.yaml" -o "$T/passive-one") &&
    grep -q '<protection_domain name="vmm_alpha" priority="254" passive="true"' "$T/passive/svmm.system" &&
    grep -q '<protection_domain name="vmm_beta" priority="254" stack_size' "$T/passive/svmm.system" &&
    grep -q '\.passive = true' "$T/passive/alpha_config.c" && ! grep -q '\.passive' "$T/passive/beta_config.c" &&
    grep -q '<protection_domain name="vmm_alpha" priority="254" passive="true"' "$T/passive-one/svmm.system" &&
    ! grep -q 'vmm_beta[^>]*passive' "$T/passive-one/svmm.system" &&
    ok "vmm_passive: --exception-fastpath makes VMMs passive, vmm_passive overrides either way" || bad "vmm_passive"
sed 's/^  - name: beta$/  - name: beta\n    vmm_passive: sometimes/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive-bad.yaml"
out=$(cd "$T" && "$COMPOSE" --check "$T/passive-bad.yaml" 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'vms.beta.vmm_passive: ' <<<"$out" && ok "vmm_passive: rejects a non-boolean" ||
    { bad "vmm_passive: rejects a non-boolean (exit $rc)"; echo "$out"; }

# ---- virtio-rng seeds: one per build, from the build machine; no seed, no device ----
seed() { sed -n 's/^#define SVMM_RNG_SEED { \(.*\), }$/\1/p' "$1" | tr -d ' ,' | sed 's/0x//g'; }
make -s -C "$ROOT" sel4-rng-seed SEED_OUT="$T/seed1.h" BUILD="$BUILD" && make -s -C "$ROOT" sel4-rng-seed SEED_OUT="$T/seed2.h" BUILD="$BUILD"
s1=$(seed "$T/seed1.h") s2=$(seed "$T/seed2.h")
[ ${#s1} = 64 ] && [ ${#s2} = 64 ] && [ "$s1" != "$s2" ] &&
    ok "rng seed: two builds read two different 32-byte seeds" || bad "rng seed: two builds ($s1 / $s2)"
# rng_chacha.c is seL4 code (it includes Microkit's headers through the low-level API): compiled as
# sel4.mk compiles it, with the SDK's headers.
RNG_B=$SDK/board/qemu_virt_aarch64/debug
if [ ! -f "$RNG_B/include/microkit.h" ]; then
    skip "rng seed: the no-seed build check compiles seL4 code: no Microkit SDK at $SDK (MICROKIT_SDK=...)"
else
    RNG_CC=(aarch64-linux-gnu-gcc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-function -ffreestanding -I"$ROOT/include"
            -I"$ROOT/src/platform/sel4" -I"$RNG_B/include" -fsyntax-only "$ROOT/src/platform/sel4/rng_chacha.c")
    out=$("${RNG_CC[@]}" 2>&1); rc=$?
    [ $rc != 0 ] && grep -q "error: #error \"virtio-rng on seL4 needs this VM image's own seed" <<<"$out" &&
        "${RNG_CC[@]}" -include "$T/seed1.h" &&
        ok "rng seed: without one rng_chacha.c does not build (with a message), with one it does" || { bad "rng seed: no seed, no build"; echo "$out"; }
fi

# ---- the Microkit tool accepts every SDF (with real VMM images, one per VM) ----
if [ ! -x "$SDK/bin/microkit" ]; then
    skip "Microkit acceptance of every example and the RNG seed in the VMM images: no Microkit SDK at $SDK; to enable: MICROKIT_SDK=/path/to/microkit-sdk-2.0.1 tests/compose/run.sh (or make test MICROKIT_SDK=...)"
else
    sel4_system() { # sel4_system NAME SYSTEM.yaml: make sel4-system into $T/sel4/NAME
        make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" SYSTEM="$2" SYSTEM_OUT="$T/sel4/$1" \
            COMPOSE_ROOT="$T" > "$T/sel4-$1.log" 2>&1 && [ -f "$T/sel4/$1/loader.img" ]
    }
    # The devices system's native component, a real Microkit program this time (tests/compose/component.c).
    B=$SDK/board/qemu_virt_aarch64/debug
    aarch64-linux-gnu-gcc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-function -ffreestanding -nostdlib -O2 \
        -mgeneral-regs-only -I"$B/include" -c "$ROOT/tests/compose/component.c" -o "$T/timer.o" &&
        aarch64-linux-gnu-ld -L"$B/lib" "$T/timer.o" -lmicrokit -Tmicrokit.ld -o "$T/build/timer.elf" || bad "build the native component"
    for ex in "$ROOT"/examples/*/system.yaml "$T/devices.yaml"; do
        e=$(basename "$(dirname "$ex")"); [ "$ex" = "$T/devices.yaml" ] && e=devices
        [ $e != devices ] && up_only "$e" && continue # hosted only (svmm up): seL4 refuses it (above)
        if sel4_system "$e" "$ex"; then
            ok "$e: Microkit $(cat "$SDK/VERSION" 2>/dev/null) accepts the SDF ($(ls "$T/sel4/$e"/svmm-*.elf | wc -l) VMM images)"
        else
            bad "$e: Microkit rejects the system"; tail -n 5 "$T/sel4-$e.log" | sed 's/^/    /'
        fi
    done
    # hybrid: only VM main has a virtio-rng; its image carries the seed, and a rebuild has another.
    h=$T/sel4/hybrid s1=$(seed "$h/main_rng_seed.h" 2>/dev/null)
    [ ${#s1} = 64 ] && [ ! -e "$h/rt0_rng_seed.h" ] && [ ! -e "$h/rt1_rng_seed.h" ] &&
        od -An -v -tx1 "$h/svmm-main.elf" | tr -d ' \n' | grep -q "$s1" &&
        ok "hybrid: the VMM image of the VM with a virtio-rng carries its own seed, the others none" ||
        bad "hybrid: rng seed in svmm-main.elf"
    sel4_system hybrid "$ROOT/examples/hybrid/system.yaml"; s2=$(seed "$h/main_rng_seed.h" 2>/dev/null)
    [ ${#s2} = 64 ] && [ "$s1" != "$s2" ] && ok "hybrid: a rebuild gives the image a new seed" || bad "hybrid: rebuild seed ($s1 / $s2)"
fi
result
[ $failed = 0 ]
