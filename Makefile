# svmm — build, test and demo. `make help` lists the targets.
SHELL := /bin/bash
BUILD ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0-dev)

# Platform-free layers: built for the host (tests), for arm64 Linux, and freestanding (seL4).
CORE_SRCS := $(wildcard src/core/*.c) $(wildcard src/machine/*.c) $(wildcard src/arch/aarch64/*.c) $(wildcard src/virtio/*.c) \
	$(wildcard src/ipc/*.c) $(wildcard src/net/*.c) $(wildcard src/blk/*.c)
# api.c: the high-level API (svmm/svmm.h), in libsvmm-kvm.a rather than the svmm binary.
KVM_SRCS := $(filter-out src/platform/kvm/arch_%.c src/platform/kvm/api.c,$(wildcard src/platform/kvm/*.c))
# riscv64 (docs/riscv.md): its arch layer; arch.c is the arch interface, the rest is unit-tested by name.
RISCV_ARCH_SRCS := $(wildcard src/arch/riscv64/*.c)
UNIT_SRCS := $(wildcard tests/unit/*.c)
HDRS := $(wildcard include/svmm/*.h src/*/*.h src/*/*/*.h tests/unit/*.h)
# Compile-time features: FEATURES="-net -vsock ..." (include/svmm/features.h, src/features.mk).
include src/features.mk

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
INC := -Iinclude

# Host unit tests: native, with AddressSanitizer and UndefinedBehaviorSanitizer.
HOST_CC ?= gcc
HOST_CFLAGS := $(WARN) $(INC) -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# arm64 Linux: static, cross-built.
CROSS ?= aarch64-linux-gnu-
ARM64_FDT := $(BUILD)/deps/arm64/usr
ARM64_CFLAGS := $(WARN) $(INC) -I$(ARM64_FDT)/include -D_GNU_SOURCE -O2 -g -DSVMM_VERSION='"$(VERSION)"'
ARM64_LDFLAGS := -static -pthread -L$(ARM64_FDT)/lib/aarch64-linux-gnu

# Freestanding arm64 library for the seL4 platform: picolibc, no syscalls, no threads.
PICOLIBC_SPECS := /usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs
FREE_CFLAGS := $(WARN) $(INC) -I$(ARM64_FDT)/include --specs=$(PICOLIBC_SPECS) -ffreestanding -O2 \
	-mgeneral-regs-only -fno-pic -ffunction-sections -fdata-sections

.PHONY: all help deps unit svmm libsvmm-kvm freestanding test demo clean machine riscv-machine e2e-riscv bench-riscv e2e e2e-blk e2e-net e2e-vsock e2e-switch e2e-console e2e-restart e2e-restart-20 e2e-up e2e-watchdog fresh-check

all: svmm unit-build freestanding

help:
	@echo "make demo            build svmm and boot a Debian arm64 guest under it (QEMU test machine)"
	@echo "make demo DEMO_CMD='uname -a'   same, non-interactively: run a command in the guest"
	@echo "make test            every test tier; ends with 'N passed, N failed, N skipped'"
	@echo "make unit            host unit tests (ASan+UBSan)"
	@echo "make svmm            static arm64 svmm binary -> $(BUILD)/aarch64/svmm"
	@echo "make svmm FEATURES=\"-net -up\"   the same without those features -> $(BUILD)/aarch64-no-net_no-up/svmm (docs/user-guide.md, 7)"
	@echo "make libsvmm-kvm     the high-level API (svmm/svmm.h) on KVM -> $(BUILD)/aarch64/libsvmm-kvm.a"
	@echo "make api-examples    the API examples (examples/api/mmio-device, virtio-backend) on KVM, static arm64"
	@echo "make freestanding    freestanding arm64 core library -> $(BUILD)/freestanding/libsvmm.a"
	@echo "make e2e             boot Linux under svmm inside QEMU (hosted tier)"
	@echo "make compose         the system composer -> $(BUILD)/host/svmm-compose (docs/system-description.md)"
	@echo "make sel4-system SYSTEM=examples/<x>/system.yaml MICROKIT_SDK=...   a whole seL4 system from its description"
	@echo "make sel4-api-example MICROKIT_SDK=... GUEST_KERNEL=... GUEST_INITRD=...   examples/api/sel4-vmm: a VMM by hand (low-level seL4 API)"
	@echo "make riscv-machine   build the riscv64 test machine (kernel, busybox from Debian sources; ~20 min)"
	@echo "make e2e-riscv       riscv64: Linux under svmm in the riscv64 QEMU machine with KVM: 2 vCPUs, console, blk, poweroff"
	@echo "make libsvmm-sel4 MICROKIT_SDK=...   the high-level API (svmm/svmm.h) and the low-level seL4 API -> libsvmm-sel4.a"
	@echo "make sel4-api-examples MICROKIT_SDK=... GUEST_KERNEL=... GUEST_INITRD=...   examples/api/mmio-device, virtio-backend on seL4"
	@echo "make demo ARCH=riscv64   the demo on riscv64 (needs make riscv-machine)"
	@echo "make bench-riscv     riscv64 against arm64: guest boot-to-init and exits by kind"
	@echo "make e2e-blk         virtio-blk/rng in QEMU: 64 MiB write, host-side SHA-256, read back, ro disk"
	@echo "make e2e-net         virtio-net in QEMU: the guest pings the host over a tap device"
	@echo "make e2e-vsock       virtio-vsock in QEMU: echo both ways through the Unix socket bridge"
	@echo "make e2e-switch      two VMs on svmm's virtual switch in QEMU: ping, 64 MiB TCP, MAC spoofing; VM-to-VM vsock"
	@echo "make e2e-console     virtio-console ports in QEMU: pty console, named file and pty ports"
	@echo "make e2e-restart     VM restart in QEMU: guest resets, data kept, RAM scrubbed, svmm ctl restart/stop"
	@echo "make e2e-restart-20  the same with 20 guest resets in a row (no leak: files, threads, memory flat)"
	@echo "make e2e-watchdog    --watchdog in QEMU: a panicked and a hung guest end svmm with status 3, a healthy one not"
	@echo "make e2e-up          svmm up in QEMU: examples/admin supervised, svmm ctl, restart by policy, a slot booted"
	@echo "make e2e-hostile     the hostile guest's attacks on svmm in QEMU beside a ticking neighbour VM (docs/hostile-guests.md)"
	@echo "make bench           seL4 exit-path and start-up benchmarks, then bench-blk (not part of make test)"
	@echo "make bench-blk       virtio-blk throughput and notifications per request, EVENT_IDX on and off"
	@echo "make bench-sel4-net  seL4 switch: instructions per frame VM to VM, by kernel, VMMs, switch, guests"
	@echo "make bench-blkserver block server and driver VM against the same disk served directly"
	@echo "make bench-sel4-blk  seL4: instructions per 4 KiB block request, driver VM and native block server"
	@echo "make bench-sel4-idle seL4: exits and instructions per second of idle guests, sleeping vs spinning"
	@echo "make bench-restart   hosted restart latency (svmm ctl restart -> guest init) against QEMU-KVM kill + relaunch"
	@echo "make fresh-check     make test + make demo in a clean Debian 12 root (catches missing install steps)"
	@echo "make tsan            the hosted platform's threads under ThreadSanitizer"
	@echo "make prove           Frama-C WP proofs of the guest-facing parsers (docs/proofs.md)"
	@echo "make docs            API reference (Doxygen) and C4 diagrams (SVG) -> $(BUILD)/docs/ (docs/user-guide.md)"
	@echo "make clean           remove $(BUILD)/ (keeps downloads in $(BUILD)/cache)"

deps:
	@scripts/deps.sh $(BUILD)

# ---- host unit tests ----
HOST_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(CORE_SRCS) $(filter-out %/arch.c,$(RISCV_ARCH_SRCS)) src/platform/kvm/cli.c src/platform/kvm/switch_cli.c src/platform/kvm/blk_file.c src/platform/kvm/blk_server_cli.c src/platform/kvm/up_plan.c tools/compose/colour.c $(UNIT_SRCS) \
	examples/api/mmio-device/device.c examples/api/virtio-backend/device.c)

$(BUILD)/host/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC [host] $<"
	@$(HOST_CC) $(HOST_CFLAGS) -Isrc/platform/kvm -c $< -o $@

$(BUILD)/host/unit-tests: $(HOST_OBJS)
	@echo "  LD $@"
	@$(HOST_CC) $(HOST_CFLAGS) $^ -lfdt -o $@

.PHONY: unit-build
unit-build: $(BUILD)/host/unit-tests

unit: $(BUILD)/host/unit-tests
	$(BUILD)/host/unit-tests

# ---- arm64 Linux binary ----
ARM64_OBJS := $(patsubst %.c,$(BUILD)/aarch64/%.o,$(CORE_SRCS) $(KVM_SRCS) src/platform/kvm/arch_aarch64.c)

$(BUILD)/aarch64/%.o: %.c $(HDRS) | $(ARM64_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [arm64] $<"
	@$(CROSS)gcc $(ARM64_CFLAGS) -c $< -o $@

$(ARM64_FDT)/include/libfdt.h:
	@scripts/deps.sh $(BUILD)

$(BUILD)/aarch64/svmm: $(ARM64_OBJS)
	@echo "  LD $@"
	@$(CROSS)gcc $(ARM64_LDFLAGS) $^ -lfdt -o $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

# With features left out (FEATURES, src/features.mk): svmm from objects of its own, without theirs.
ifneq ($(FEATURES_TAG),)
$(BUILD)/aarch64$(FEATURES_TAG)/%.o: %.c $(HDRS) | $(ARM64_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [arm64$(FEATURES_TAG)] $<"
	@$(CROSS)gcc $(ARM64_CFLAGS) $(FEATURE_DEFS) -c $< -o $@

$(BUILD)/aarch64$(FEATURES_TAG)/svmm: $(patsubst %.c,$(BUILD)/aarch64$(FEATURES_TAG)/%.o,$(filter-out \
		$(FEATURES_LEFT_OUT),$(CORE_SRCS) $(KVM_SRCS) src/platform/kvm/arch_aarch64.c))
	@echo "  LD $@"
	@$(CROSS)gcc $(ARM64_LDFLAGS) $^ -lfdt -o $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"
endif

# ---- the high-level API on KVM (svmm/svmm.h): a static library; the API examples link it (examples/api/api.mk) ----
$(BUILD)/aarch64/libsvmm-kvm.a: $(filter-out %/kvm/main.o,$(ARM64_OBJS)) $(BUILD)/aarch64/src/platform/kvm/api.o
	@rm -f $@
	@$(CROSS)ar rcs $@ $^
	@echo "built $@ ($$(stat -c %s $@) bytes)"

libsvmm-kvm: $(BUILD)/aarch64/libsvmm-kvm.a
-include examples/api/api.mk

# ---- riscv64 Linux binary: make svmm ARCH=riscv64 (libfdt built by scripts/deps-riscv64.sh) ----
ARCH ?= aarch64
RISCV_CROSS ?= riscv64-linux-gnu-
RISCV_FDT := $(BUILD)/deps/riscv64/usr
RISCV_CFLAGS := $(WARN) $(INC) -I$(RISCV_FDT)/include -D_GNU_SOURCE -O2 -g -DSVMM_VERSION='"$(VERSION)"'
RISCV_LDFLAGS := -static -pthread -L$(RISCV_FDT)/lib/riscv64-linux-gnu
RISCV_OBJS := $(patsubst %.c,$(BUILD)/riscv64/%.o,$(filter-out src/arch/aarch64/%,$(CORE_SRCS)) $(RISCV_ARCH_SRCS) \
	$(KVM_SRCS) src/platform/kvm/arch_riscv64.c)

$(BUILD)/riscv64/%.o: %.c $(HDRS) | $(RISCV_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [riscv64] $<"
	@$(RISCV_CROSS)gcc $(RISCV_CFLAGS) -c $< -o $@

$(RISCV_FDT)/include/libfdt.h:
	@scripts/deps-riscv64.sh $(BUILD)

$(BUILD)/riscv64/svmm: $(RISCV_OBJS)
	@echo "  LD $@"
	@$(RISCV_CROSS)gcc $(RISCV_LDFLAGS) $^ -lfdt -o $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"

svmm: $(BUILD)/$(ARCH)$(FEATURES_TAG)/svmm

# ---- freestanding library ----
FREE_OBJS := $(patsubst %.c,$(BUILD)/freestanding/%.o,$(CORE_SRCS))

$(BUILD)/freestanding/%.o: %.c $(HDRS) | $(ARM64_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [freestanding] $<"
	@$(CROSS)gcc $(FREE_CFLAGS) -c $< -o $@

$(BUILD)/freestanding/libsvmm.a: $(FREE_OBJS)
	@echo "  AR $@"
	@rm -f $@
	@$(CROSS)ar rcs $@ $^

# A bare-metal self-test program (QEMU virt RAM at 0x40000000, semihosting for output and exit).
PICOLIBC_LD := /usr/lib/picolibc/aarch64-linux-gnu/lib/picolibc.ld
FREE_LDFLAGS := --oslib=semihost --crt0=semihost -T $(PICOLIBC_LD) -Wl,--defsym=__flash=0x40000000 \
	-Wl,--defsym=__flash_size=0x400000 -Wl,--defsym=__ram=0x40400000 -Wl,--defsym=__ram_size=0x4000000 \
	-Wl,--defsym=__stack_size=0x10000

$(BUILD)/freestanding/selftest.elf: tests/freestanding/main.c $(BUILD)/freestanding/libsvmm.a
	@echo "  LD $@"
	@$(CROSS)gcc $(FREE_CFLAGS) $(FREE_LDFLAGS) $^ $(ARM64_FDT)/lib/aarch64-linux-gnu/libfdt.a -o $@

freestanding: $(BUILD)/freestanding/libsvmm.a $(BUILD)/freestanding/selftest.elf

# ---- fuzzing (libFuzzer): fuzz-smoke (part of make test), fuzz FUZZ_SECONDS=N ----
-include tests/fuzz/fuzz.mk

# ---- proofs (Frama-C WP) of the guest-facing parsers: make prove (docs/proofs.md) ----
-include tests/prove/prove.mk

# ---- system composer (tools/compose): make compose ----
-include tools/compose/compose.mk

# ---- seL4 Microkit platform ----
include src/platform/sel4/sel4.mk
-include tests/bench/bench.mk

-include tests/e2e/blkserver.mk
-include tests/e2e/vsock-vm.mk

# ---- ThreadSanitizer tier: the hosted platform's threaded paths (tests/tsan/) ----
-include tests/tsan/tsan.mk

# ---- documentation: make docs (docs/docs.mk) ----
-include docs/docs.mk

# ---- tiers ----
test: deps
	@tests/run-all.sh

e2e: deps svmm
	@tests/e2e/hosted-boot.sh

e2e-blk: deps svmm
	@tests/e2e/hosted-blk.sh

e2e-net: deps svmm
	@tests/e2e/hosted-net.sh

e2e-vsock: deps svmm
	@tests/e2e/hosted-vsock.sh

e2e-switch: deps svmm
	@tests/e2e/hosted-switch.sh

e2e-console: deps svmm
	@tests/e2e/hosted-console.sh

e2e-restart: deps svmm
	@tests/e2e/hosted-restart.sh

e2e-watchdog: deps svmm
	@tests/e2e/hosted-watchdog.sh

# Not in make test (about 22 nested guest boots): the guest resets itself 20 times in a row.
e2e-restart-20: deps svmm
	@E2E_RESTART_BOOTS=21 tests/e2e/hosted-restart.sh

e2e-up: deps svmm
	@BUILD=$(abspath $(BUILD)) tests/e2e/hosted-up.sh

e2e-hostile: deps svmm
	@BUILD=$(abspath $(BUILD)) tests/e2e/hosted-hostile.sh

demo: deps svmm
	@if [ "$(ARCH)" = riscv64 ]; then tests/e2e/demo-riscv.sh; else tests/e2e/demo.sh; fi

# riscv64 (docs/riscv.md): its test machine (not built by make test: ~20 min) and its end-to-end tier.
riscv-machine:
	@tests/machine/riscv.sh build --install

e2e-riscv: riscv-machine
	@tests/e2e/hosted-riscv.sh

# A guest's boot-to-init and exits by kind, riscv64 against arm64 with the same devices (docs/riscv.md).
bench-riscv: deps riscv-machine
	@BUILD=$(BUILD) tests/bench/riscv-boot.sh

# The README's two commands in a clean Debian 12 root (minutes; not part of make test).
fresh-check:
	@scripts/fresh-check.sh

clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name cache ! -name deps -exec rm -rf {} +
