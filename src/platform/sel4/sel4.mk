# The seL4 Microkit platform. Included by the top-level Makefile; needs MICROKIT_SDK.
#   make sel4-example MICROKIT_SDK=/path [MICROKIT_BOARD=qemu_virt_aarch64] [MICROKIT_CONFIG=debug|release]
#        GUEST_KERNEL=Image GUEST_INITRD=initrd [GUEST_CPUS=2] [GUEST_RAM_MIB=256] [GUEST_BOOTARGS=...]
MICROKIT_BOARD ?= qemu_virt_aarch64
MICROKIT_CONFIG ?= debug
SEL4_BOARD_DIR = $(MICROKIT_SDK)/board/$(MICROKIT_BOARD)/$(MICROKIT_CONFIG)
SEL4_GIC = $(if $(shell grep -s 'define CONFIG_ARM_GIC_V3_SUPPORT' $(SEL4_BOARD_DIR)/include/kernel/gen_config.h),3,2)
# With the kernel's exception fastpath, passive VMMs let it carry guest exits (docs/performance.md).
SEL4_FASTPATH = $(if $(shell grep -s 'define CONFIG_EXCEPTION_FASTPATH' $(SEL4_BOARD_DIR)/include/kernel/gen_config.h),--exception-fastpath)
# An SMP kernel (Microkit 2.1 and newer, smp-* configs): VMs are placed on its cores (cpu attributes).
SEL4_CORES = $(shell sed -n 's/^\#define CONFIG_MAX_NUM_NODES *//p' $(SEL4_BOARD_DIR)/include/kernel/gen_config.h 2>/dev/null)
SEL4_SMP = $(if $(filter-out 1,$(SEL4_CORES)),--cores $(SEL4_CORES))
# The SDK's Microkit version: 2.0's tool sets up at most one multi-vCPU VM (svmm-compose lists it last).
SEL4_MICROKIT_VERSION = $(if $(wildcard $(MICROKIT_SDK)/VERSION),--microkit-version $(shell cat $(MICROKIT_SDK)/VERSION))
SEL4_BUILD = $(BUILD)/sel4/$(MICROKIT_BOARD)-$(MICROKIT_CONFIG)-gicv$(SEL4_GIC)$(if $(SEL4_FASTPATH),-fastpath)
# rng_chacha.c is built per VM image, with that image's own seed (sel4-system below).
SEL4_RNG_SRC := src/platform/sel4/rng_chacha.c
# What every protection domain of ours links (the VMMs link all of src/platform/sel4 anyway).
SEL4_PD_RUNTIME := src/platform/sel4/board_uart.c src/platform/sel4/sel4_clock.c src/platform/sel4/runtime.c \
	src/platform/sel4/mem.c
# The virtual switch PD is a program of its own: its entry points are not the VMM's.
SEL4_SWITCH_SRCS := src/platform/sel4/switch_pd.c $(SEL4_PD_RUNTIME)
# So is the block server PD (svmm-blk-<name>.elf).
SEL4_BLK_SRCS := src/platform/sel4/blk_server_pd.c $(SEL4_PD_RUNTIME)
# And the admin PD (svmm-admin.elf, with an admin: section), linked with its generated admin_admincfg.c.
SEL4_ADMIN_SRCS := src/platform/sel4/admin_pd.c $(SEL4_PD_RUNTIME)
# And the idle timer PD (svmm-timer.elf, one per system): it needs no generated configuration.
SEL4_TIMER_SRCS := src/platform/sel4/timer_pd.c src/platform/sel4/sel4_clock.c src/platform/sel4/runtime.c
# api.c is the high-level API's policy (libsvmm-sel4.a below), the composer's VMMs have vmm.c's.
SEL4_SRCS := $(filter-out $(SEL4_RNG_SRC) src/platform/sel4/switch_pd.c src/platform/sel4/blk_server_pd.c \
	src/platform/sel4/timer_pd.c src/platform/sel4/admin_pd.c src/platform/sel4/api.c,$(wildcard src/platform/sel4/*.c))
SEL4_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_SRCS))
SEL4_SWITCH_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_SWITCH_SRCS))
SEL4_BLK_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_BLK_SRCS))
SEL4_TIMER_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_TIMER_SRCS))
SEL4_ADMIN_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_ADMIN_SRCS))
SEL4_LDLIBS = $(BUILD)/freestanding/libsvmm.a $(ARM64_FDT)/lib/aarch64-linux-gnu/libfdt.a $(PICOLIBC_LIBC) \
	$$($(CROSS)gcc -print-libgcc-file-name) -lmicrokit -Tmicrokit.ld --gc-sections --undefined=__i_vfprintf \
	--defsym=vfprintf=__i_vfprintf
SEL4_CFLAGS = $(FREE_CFLAGS) -std=gnu11 -Wno-unused-function -I$(SEL4_BOARD_DIR)/include -Isrc/platform/sel4 # seL4 headers use GNU asm
PICOLIBC_LIBC := /usr/lib/picolibc/aarch64-linux-gnu/lib/libc.a

# virtio-rng on seL4 is ChaCha20 keyed with a seed of its own for every VM image: 32 bytes from the
# build machine's random pool (/dev/urandom: getrandom(2)'s pool), read at each build into
# $$seed_h as a C initializer (SVMM_RNG_SEED). It stays out of the composer's deterministic output.
# A shell fragment for recipes: set seed_h=FILE first.
SEL4_RNG_SEED_CMD = set -- $$(od -An -v -tx1 -N32 /dev/urandom) && [ $$\# = 32 ] || \
	{ echo "error: cannot read 32 random bytes from /dev/urandom for the virtio-rng seed of $$seed_h" >&2; exit 1; }; \
	{ echo "/* virtio-rng seed of one VM image: random, from the build machine (make sel4-system). Keep it secret. */"; \
	  printf '\#define SVMM_RNG_SEED {'; printf ' 0x%s,' "$$@"; echo ' }'; } > "$$seed_h.tmp" && mv "$$seed_h.tmp" "$$seed_h"
ifneq ($(SEL4_RNG_SEED),)
$(warning SEL4_RNG_SEED is not used any more: every VM image gets its own random virtio-rng seed at build time)
endif

GUEST_CPUS ?= 2
GUEST_RAM_MIB ?= 256
GUEST_BOOTARGS ?= console=ttyS0 earlycon
EXAMPLE := $(SEL4_BUILD)/linux-single

.PHONY: sel4-check sel4-example

sel4-check:
	@test -n "$(MICROKIT_SDK)" || { echo "error: set MICROKIT_SDK=/path/to/microkit-sdk (2.0.1 or newer)"; exit 1; }
	@test -d "$(SEL4_BOARD_DIR)" || { echo "error: $(SEL4_BOARD_DIR) not found: does the SDK support $(MICROKIT_BOARD) $(MICROKIT_CONFIG)?"; exit 1; }

$(SEL4_BUILD)/%.o: %.c $(HDRS) $(wildcard include/svmm/sel4/*.h src/platform/sel4/*.h src/arch/aarch64/*.h) | sel4-check $(ARM64_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [sel4] $<"
	@$(CROSS)gcc $(SEL4_CFLAGS) -c $< -o $@

# sel4-example: one Linux VM named "linux" from the GUEST_* variables, through the system composer
# (a one-VM description is written to $(EXAMPLE)/system.yaml). $(EXAMPLE)/svmm.elf names its VMM image.
sel4-example: | sel4-check
	@test -f "$(GUEST_KERNEL)" && test -f "$(GUEST_INITRD)" || { echo "error: set GUEST_KERNEL and GUEST_INITRD"; exit 1; }
	@mkdir -p $(EXAMPLE)
	@printf '%s\n' '# Generated by make sel4-example from the GUEST_* variables.' 'board: qemu_virt_aarch64' 'vms:' \
		'  - name: linux' '    kernel: "$(abspath $(GUEST_KERNEL))"' '    initrd: "$(abspath $(GUEST_INITRD))"' \
		'    bootargs: "$(GUEST_BOOTARGS)"' '    ram: $(GUEST_RAM_MIB)M' '    vcpus: $(GUEST_CPUS)' \
		'    devices:' '      - type: console' > $(EXAMPLE)/system.yaml
	@$(MAKE) -s sel4-system SYSTEM=$(EXAMPLE)/system.yaml SYSTEM_OUT=$(EXAMPLE)
	@ln -sf svmm-linux.elf $(EXAMPLE)/svmm.elf

# ---- the low-level seL4 API (include/svmm/sel4/) and a VMM written by hand against it ----
# libsvmm-sel4.a: the API's modules, for a VMM of one's own, linked in one group with libsvmm.a and
# libfdt (its runtime.c and mem.c serve them, they serve the API). The composer's VMMs (vmm.c, the
# policy) link the same objects directly. It also holds the high-level API (svmm/svmm.h: api.c on
# the VM runtime vmm_run.c, which defines the PD's fault() and notified()); a VMM of one's own that
# defines those itself never pulls them in.
SEL4_API_SRCS := $(addprefix src/platform/sel4/,vcpu.c fault.c guest_mem.c irq.c channel.c console.c board_uart.c \
	sel4_clock.c runtime.c mem.c api.c vmm_run.c idle.c)
SEL4_API_LIB = $(SEL4_BUILD)/libsvmm-sel4.a
$(SEL4_API_LIB): $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_API_SRCS))
	@echo "  AR $@"
	@rm -f $@ && $(CROSS)ar rcs $@ $^
.PHONY: libsvmm-sel4
libsvmm-sel4: $(SEL4_API_LIB) $(BUILD)/freestanding/libsvmm.a | sel4-check
	@echo "built $(SEL4_API_LIB) (with $(BUILD)/freestanding/libsvmm.a and libfdt: a PD's link group)"

#   make sel4-api-example MICROKIT_SDK=/path GUEST_KERNEL=Image GUEST_INITRD=initrd   (a GICv2 SDK)
# examples/api/sel4-vmm: its vmm.c and its own vmm.system, no composer. The boot loader places the
# kernel at 0x48000000 and the initrd 32 MiB above (qemu-images.args); vmm.c learns their sizes here.
API_EXAMPLE := examples/api/sel4-vmm
API_EXAMPLE_OUT = $(SEL4_BUILD)/api-sel4-vmm
.PHONY: sel4-api-example
sel4-api-example: $(SEL4_API_LIB) $(BUILD)/freestanding/libsvmm.a | sel4-check
	@test -f "$(GUEST_KERNEL)" && test -f "$(GUEST_INITRD)" || { echo "error: set GUEST_KERNEL and GUEST_INITRD"; exit 1; }
	@test "$(SEL4_GIC)" = 2 || { echo "error: $(API_EXAMPLE)/vmm.system is for a GICv2 kernel (Microkit's 2.0.1 release)"; exit 1; }
	@k=$$(stat -c %s "$(GUEST_KERNEL)") i=$$(stat -c %s "$(GUEST_INITRD)"); \
	if [ $$k -gt 33554432 ] || [ $$i -gt 33554432 ]; then echo "error: kernel and initrd must be 32 MiB or less each"; exit 1; fi; \
	mkdir -p $(API_EXAMPLE_OUT) && echo "  CC [sel4] $(API_EXAMPLE)/vmm.c" && \
	$(CROSS)gcc $(SEL4_CFLAGS) -DKERNEL_SIZE=$${k}u -DINITRD_SIZE=$${i}u -c $(API_EXAMPLE)/vmm.c -o $(API_EXAMPLE_OUT)/vmm.o
	@echo "  LD $(API_EXAMPLE_OUT)/vmm.elf"
	@$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(API_EXAMPLE_OUT)/vmm.o --start-group $(SEL4_API_LIB) $(BUILD)/freestanding/libsvmm.a \
		$(ARM64_FDT)/lib/aarch64-linux-gnu/libfdt.a --end-group $(SEL4_LDLIBS) -o $(API_EXAMPLE_OUT)/vmm.elf
	@$(CROSS)size $(API_EXAMPLE_OUT)/vmm.elf | tail -n1
	@echo "-device loader,file=$(abspath $(GUEST_KERNEL)),addr=0x48000000,force-raw=on -device loader,file=$(abspath $(GUEST_INITRD)),addr=0x4a000000,force-raw=on" \
		> $(API_EXAMPLE_OUT)/qemu-images.args
	@echo "  MICROKIT $(API_EXAMPLE_OUT)/loader.img"
	@$(MICROKIT_SDK)/bin/microkit $(API_EXAMPLE)/vmm.system --search-path $(API_EXAMPLE_OUT) --board $(MICROKIT_BOARD) \
		--config $(MICROKIT_CONFIG) -o $(API_EXAMPLE_OUT)/loader.img -r $(API_EXAMPLE_OUT)/report.txt
	@echo "built $(API_EXAMPLE_OUT)/loader.img; boot images: $$(cat $(API_EXAMPLE_OUT)/qemu-images.args)"

#   make sel4-api-examples MICROKIT_SDK=/path GUEST_KERNEL=Image GUEST_INITRD=initrd [API_EXAMPLES=mmio-device]
# examples/api/<x> (x in API_EXAMPLES; or a directory path, as the tests' own PD) on the high-level API:
# its C files but main-kvm.c linked with libsvmm-sel4.a, packed with its vmm.system into
# $(SEL4_BUILD)/api-<x's last component>/loader.img. The
# kernel and initrd go where sel4-api-example puts them; on a GICv3 kernel the vmm.system lines that
# name gic_vcpu are left out (the guest's CPU interface is system registers there).
API_EXAMPLES ?= mmio-device virtio-backend
.PHONY: sel4-api-examples
sel4-api-examples: $(SEL4_API_LIB) $(BUILD)/freestanding/libsvmm.a | sel4-check
	@test -f "$(GUEST_KERNEL)" && test -f "$(GUEST_INITRD)" || { echo "error: set GUEST_KERNEL and GUEST_INITRD"; exit 1; }
	@k=$$(stat -c %s "$(GUEST_KERNEL)") i=$$(stat -c %s "$(GUEST_INITRD)"); \
	if [ $$k -gt 33554432 ] || [ $$i -gt 33554432 ]; then echo "error: kernel and initrd must be 32 MiB or less each"; exit 1; fi; \
	for x in $(API_EXAMPLES); do case $$x in */*) src=$$x ;; *) src=examples/api/$$x ;; esac; \
		out=$(SEL4_BUILD)/api-$${x##*/}; rm -rf $$out && mkdir -p $$out || exit 1; \
		for c in $$(ls $$src/*.c | grep -v '/main-kvm\.c$$'); do echo "  CC [sel4] $$c"; o=$$out/$$(basename $$c .c).o; \
			$(CROSS)gcc $(SEL4_CFLAGS) -DKERNEL_SIZE=$${k}u -DINITRD_SIZE=$${i}u -c $$c -o $$o || exit 1; done; \
		echo "  LD $$out/vmm.elf"; \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $$out/*.o --start-group $(SEL4_API_LIB) \
			$(BUILD)/freestanding/libsvmm.a $(ARM64_FDT)/lib/aarch64-linux-gnu/libfdt.a --end-group $(SEL4_LDLIBS) \
			-o $$out/vmm.elf && $(CROSS)size $$out/vmm.elf | tail -n1 || exit 1; \
		if [ "$(SEL4_GIC)" = 3 ]; then grep -v '"gic_vcpu"' $$src/vmm.system > $$out/vmm.system; else cp $$src/vmm.system $$out/; fi; \
		echo "-device loader,file=$(abspath $(GUEST_KERNEL)),addr=0x48000000,force-raw=on -device loader,file=$(abspath $(GUEST_INITRD)),addr=0x4a000000,force-raw=on" \
			> $$out/qemu-images.args; \
		echo "  MICROKIT $$out/loader.img"; \
		$(MICROKIT_SDK)/bin/microkit $$out/vmm.system --search-path $$out --board $(MICROKIT_BOARD) \
			--config $(MICROKIT_CONFIG) -o $$out/loader.img -r $$out/report.txt || exit 1; \
		echo "built $$out/loader.img (GICv$(SEL4_GIC))"; done

# ---- a whole system from one description (tools/compose, docs/system-description.md) ----
#   make sel4-system SYSTEM=examples/linux-pair/system.yaml MICROKIT_SDK=/path [SYSTEM_OUT=dir] [COMPOSE_ROOT=dir]
# svmm-compose writes the SDF, one <vm>_config.c per VM, the guest DTBs and qemu-images.args; each VM
# gets its own VMM image svmm-<vm>.elf (the same objects, linked with that VM's configuration).
# --gc-sections drops unused code; picolibc's integer-only printf core keeps float formatting out.
COMPOSE_ROOT ?= $(CURDIR)
SYSTEM_OUT ?= $(SEL4_BUILD)/$(notdir $(patsubst %/,%,$(dir $(SYSTEM))))

# The seed alone, into SEED_OUT (tests/compose checks that two builds differ; no SDK needed).
.PHONY: sel4-rng-seed
sel4-rng-seed:
	@test -n "$(SEED_OUT)" || { echo "error: set SEED_OUT=file.h"; exit 1; }
	@seed_h=$(SEED_OUT); $(SEL4_RNG_SEED_CMD)

# The VMM's policy and runtime, and the machine's vm.c (ahead of libsvmm.a's, so that one is not
# linked), are compiled per VM with its <vm>_features.h (the composer's: what the VM's description
# uses, FEATURES on top; include/svmm/features.h), so each VMM leaves out the rest.
SEL4_VM_SRCS := $(filter src/platform/sel4/vmm.c src/platform/sel4/vmm_run.c,$(SEL4_SRCS)) src/machine/vm.c
SEL4_SHARED_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(filter-out $(SEL4_VM_SRCS),$(SEL4_SRCS)))

.PHONY: sel4-system
sel4-system: $(COMPOSE) $(SEL4_OBJS) $(SEL4_SWITCH_OBJS) $(SEL4_BLK_OBJS) $(SEL4_TIMER_OBJS) $(SEL4_ADMIN_OBJS) \
		$(BUILD)/freestanding/libsvmm.a | sel4-check
	@test -f "$(SYSTEM)" || { echo "error: set SYSTEM=examples/<name>/system.yaml"; exit 1; }
	@rm -f $(SYSTEM_OUT)/*_config.c $(SYSTEM_OUT)/*_switchcfg.c $(SYSTEM_OUT)/*_blkcfg.c $(SYSTEM_OUT)/*_admincfg.c $(SYSTEM_OUT)/svmm-*.elf $(SYSTEM_OUT)/*_rng_seed.h $(SYSTEM_OUT)/*_rng.o $(SYSTEM_OUT)/*_features.h
	@$(COMPOSE) $(SYSTEM) -o $(SYSTEM_OUT) --gic $(SEL4_GIC) $(SEL4_FASTPATH) $(SEL4_SMP) $(SEL4_MICROKIT_VERSION) \
		--root $(COMPOSE_ROOT) --dtb $(if $(strip $(FEATURES)),--features "$(FEATURES)")
	@for c in $(SYSTEM_OUT)/*_config.c; do vm=$$(basename $$c _config.c); echo "  LD $(SYSTEM_OUT)/svmm-$$vm.elf"; \
		rng=; if grep -q sel4_attach_rng $$c; then seed_h=$(SYSTEM_OUT)/$${vm}_rng_seed.h; rng=$(SYSTEM_OUT)/$${vm}_rng.o; \
			$(SEL4_RNG_SEED_CMD) && $(CROSS)gcc $(SEL4_CFLAGS) -include $$seed_h -c $(SEL4_RNG_SRC) -o $$rng || exit 1; fi; \
		vmobjs=; for s in $(SEL4_VM_SRCS); do o=$(SYSTEM_OUT)/$${vm}_$$(basename $$s .c).o; vmobjs="$$vmobjs $$o"; \
			$(CROSS)gcc $(SEL4_CFLAGS) -include $(SYSTEM_OUT)/$${vm}_features.h -c $$s -o $$o || exit 1; done; \
		$(CROSS)gcc $(SEL4_CFLAGS) -c $$c -o $(SYSTEM_OUT)/$${vm}_config.o && \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_SHARED_OBJS) $$vmobjs $$rng $(SYSTEM_OUT)/$${vm}_config.o $(SEL4_LDLIBS) \
			-o $(SYSTEM_OUT)/svmm-$$vm.elf && $(CROSS)size $(SYSTEM_OUT)/svmm-$$vm.elf | tail -n1 || exit 1; done
	@for c in $$(ls $(SYSTEM_OUT)/*_switchcfg.c 2>/dev/null); do sw=$$(basename $$c _switchcfg.c); \
		echo "  LD $(SYSTEM_OUT)/svmm-switch-$$sw.elf"; \
		$(CROSS)gcc $(SEL4_CFLAGS) -c $$c -o $(SYSTEM_OUT)/$${sw}_switchcfg.o && \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_SWITCH_OBJS) $(SYSTEM_OUT)/$${sw}_switchcfg.o $(SEL4_LDLIBS) \
			-o $(SYSTEM_OUT)/svmm-switch-$$sw.elf && $(CROSS)size $(SYSTEM_OUT)/svmm-switch-$$sw.elf | tail -n1 || exit 1; done
	@for c in $$(ls $(SYSTEM_OUT)/*_blkcfg.c 2>/dev/null); do bs=$$(basename $$c _blkcfg.c); \
		echo "  LD $(SYSTEM_OUT)/svmm-blk-$$bs.elf"; \
		$(CROSS)gcc $(SEL4_CFLAGS) -c $$c -o $(SYSTEM_OUT)/$${bs}_blkcfg.o && \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_BLK_OBJS) $(SYSTEM_OUT)/$${bs}_blkcfg.o $(SEL4_LDLIBS) \
			-o $(SYSTEM_OUT)/svmm-blk-$$bs.elf && $(CROSS)size $(SYSTEM_OUT)/svmm-blk-$$bs.elf | tail -n1 || exit 1; done
	@if [ -f $(SYSTEM_OUT)/admin_admincfg.c ]; then echo "  LD $(SYSTEM_OUT)/svmm-admin.elf"; \
		$(CROSS)gcc $(SEL4_CFLAGS) -c $(SYSTEM_OUT)/admin_admincfg.c -o $(SYSTEM_OUT)/admin_admincfg.o && \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_ADMIN_OBJS) $(SYSTEM_OUT)/admin_admincfg.o $(SEL4_LDLIBS) \
			-o $(SYSTEM_OUT)/svmm-admin.elf && $(CROSS)size $(SYSTEM_OUT)/svmm-admin.elf | tail -n1 || exit 1; fi
	@if grep -q 'svmm-timer.elf' $(SYSTEM_OUT)/svmm.system; then echo "  LD $(SYSTEM_OUT)/svmm-timer.elf"; \
		$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_TIMER_OBJS) $(SEL4_LDLIBS) -o $(SYSTEM_OUT)/svmm-timer.elf && \
		$(CROSS)size $(SYSTEM_OUT)/svmm-timer.elf | tail -n1 || exit 1; fi
	@echo "  MICROKIT $(SYSTEM_OUT)/loader.img"
	@$(MICROKIT_SDK)/bin/microkit $(SYSTEM_OUT)/svmm.system --search-path $(SYSTEM_OUT) --board $(MICROKIT_BOARD) \
		--config $(MICROKIT_CONFIG) -o $(SYSTEM_OUT)/loader.img -r $(SYSTEM_OUT)/report.txt
	@echo "built $(SYSTEM_OUT)/loader.img (GICv$(SEL4_GIC)); boot images: $$(cat $(SYSTEM_OUT)/qemu-images.args)"

# The board's own device tree (QEMU virt, as the seL4 tiers run it), where passthrough devices'
# nodes come from (board_dtb: in a system description; examples/passthrough).
BOARD_DTB := $(BUILD)/qemu-virt.dtb
.PHONY: board-dtb
board-dtb: $(BOARD_DTB)
$(BOARD_DTB):
	@mkdir -p $(dir $@)
	@qemu-system-aarch64 -nic none -machine virt,virtualization=on,highmem=off,secure=off,dumpdtb=$@ -cpu cortex-a53 \
		-m 2G -nographic > /dev/null
	@echo "board DTB: $@ ($$(stat -c %s $@) bytes)"
