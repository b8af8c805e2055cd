# libFuzzer harnesses (clang, ASan + UBSan) for the guest-facing parsers; included by the Makefile.
#   make fuzz-build                      build every harness into $(BUILD)/fuzz/
#   make fuzz-smoke                      seeds + a short fuzz of each harness (a `make test` tier)
#   make fuzz FUZZ_SECONDS=300           long runs; corpus kept in $(BUILD)/fuzz/corpus-<harness>
#   make fuzz FUZZ_TARGETS="virtqueue"   only some harnesses (also for fuzz-smoke)
#   make fuzz-seeds                      regenerate tests/fuzz/corpus/ from tests/fuzz/gen_seeds.c
# Crash inputs go to $(BUILD)/fuzz/crashes/<harness>-crash-*; reproduce with
#   $(BUILD)/fuzz/fuzz_<harness> <file>
# SVMM_FUZZ_MASK=name,... (environment) masks invariants of known, reported src bugs: tests/fuzz/README.md.
FUZZ_CC ?= clang
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_HARNESSES := virtqueue virtio_mmio uart mmio_bus image guest_dt vgic exits virtio_blk virtio_net virtio_vsock \
	vswitch net_link blkq_server blkq_client vsock_link blk_relay sbsa_gwdt riscv
FUZZ_TARGETS ?= $(FUZZ_HARNESSES)
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 7
FUZZ_JOBS ?= 2
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# The project's warnings, but not -Werror: a clang-only warning in src/ must not stop the fuzz tier.
FUZZ_CFLAGS := $(FUZZ_SANITIZE) -g -O1 -fno-omit-frame-pointer -Iinclude -D_GNU_SOURCE $(filter-out -Werror,$(WARN))

# The sources each harness compiles in directly (no shared objects: each binary is self-contained).
FUZZ_SRCS_virtqueue := src/virtio/virtqueue.c src/core/memmap.c
FUZZ_SRCS_uart := src/core/uart16550.c src/core/mmio.c src/core/log.c
FUZZ_SRCS_mmio_bus := src/core/mmio.c src/core/log.c
FUZZ_SRCS_sbsa_gwdt := src/core/sbsa_gwdt.c src/core/mmio.c src/core/log.c
FUZZ_SRCS_image := src/core/boot.c src/arch/aarch64/image.c
# riscv64: the PLIC model, the SBI decoder and the Image parser (docs/riscv.md).
FUZZ_SRCS_riscv := src/arch/riscv64/plic.c src/arch/riscv64/sbi.c src/arch/riscv64/image.c
FUZZ_SRCS_guest_dt := src/core/config.c src/machine/guest_dt.c src/core/dt_props.c src/arch/aarch64/dt.c src/arch/aarch64/machine.c
FUZZ_LIBS_guest_dt := -lfdt
# svmm_arch_vcpu_affinity() lives in dt.c, hence libfdt.
FUZZ_SRCS_vgic := src/arch/aarch64/vgic.c src/arch/aarch64/vgic_dist.c src/arch/aarch64/vgic_redist.c \
	src/arch/aarch64/dt.c src/core/dt_props.c src/core/log.c
FUZZ_LIBS_vgic := -lfdt
# A GIC write that changes state rescans all interrupts of all vCPUs (vgic_flush): without comparison tracing in
# that loop the harness runs ~8x faster, and the register decoding keeps it in vgic_dist/redist.c.
FUZZ_NOCMP_vgic := src/arch/aarch64/vgic.c
# aarch64_emulate_mmio() goes through svmm_vm_mmio_access() (vm.c), which links the whole core.
FUZZ_SRCS_exits := $(CORE_SRCS)
FUZZ_LIBS_exits := -lfdt
# The transport and device harnesses share the guest side in tests/fuzz/fuzz_vdev.h (transport, fake RAM, ops).
FUZZ_VDEV_SRCS := src/virtio/mmio.c src/virtio/device.c src/virtio/virtqueue.c src/core/memmap.c src/core/mmio.c \
	src/core/log.c
FUZZ_SRCS_virtio_mmio := src/virtio/console.c $(FUZZ_VDEV_SRCS)
FUZZ_SRCS_virtio_blk := src/virtio/blk.c $(FUZZ_VDEV_SRCS)
FUZZ_SRCS_virtio_net := src/virtio/net.c $(FUZZ_VDEV_SRCS)
FUZZ_SRCS_virtio_vsock := src/virtio/vsock.c src/net/vsock_link.c src/ipc/netq.c $(FUZZ_VDEV_SRCS)
# A VM-to-VM vsock link fed by a hostile peer VMM (its shared memory written at will).
FUZZ_SRCS_vsock_link := src/net/vsock_link.c src/ipc/netq.c src/virtio/vsock.c $(FUZZ_VDEV_SRCS)
# The switch and its rings, fed by a hostile peer (shared memory written at will).
FUZZ_SRCS_vswitch := src/net/vswitch.c src/net/net_offload.c src/ipc/netq.c src/virtio/net.c $(FUZZ_VDEV_SRCS)
# A VMM's switch port (virtio-net over a netq link) against a hostile switch and a fuzzed guest.
FUZZ_SRCS_net_link := src/net/net_link.c src/ipc/netq.c src/virtio/net.c $(FUZZ_VDEV_SRCS)
# The block server and its rings, fed by a hostile client; a VMM's blk_link fed by a hostile server.
FUZZ_SRCS_blkq_server := src/blk/blk_server.c src/ipc/blkq.c
FUZZ_SRCS_blkq_client := src/blk/blk_link.c src/ipc/blkq.c src/virtio/blk.c $(FUZZ_VDEV_SRCS)
# A driver VM's relay fed by a hostile agent (the driver VM's guest), with two honest clients.
FUZZ_SRCS_blk_relay := src/blk/blk_relay.c src/blk/blk_server.c src/ipc/blkq.c

# Fail early, with the fix and a result line for the test runner, when clang or libFuzzer is missing
# (Debian ships libFuzzer in libclang-rt-14-dev, only a Recommends of clang-14).
$(FUZZ_DIR)/.toolchain-ok:
	@mkdir -p $(dir $@)
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n ? 0 : 0; }\n' | \
		$(FUZZ_CC) $(FUZZ_SANITIZE) -x c - -o $(FUZZ_DIR)/.toolchain-test >/dev/null 2>&1 || { \
		echo "FAIL fuzz: '$(FUZZ_CC) -fsanitize=fuzzer' does not work: apt-get install clang libclang-rt-14-dev"; \
		echo "fuzz: 0 passed, 1 failed"; exit 1; }
	@rm -f $(FUZZ_DIR)/.toolchain-test
	@touch $@

FUZZ_HDRS := $(wildcard include/svmm/*.h src/arch/aarch64/*.h)

define FUZZ_RULE
$(FUZZ_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(wildcard tests/fuzz/*.h) $(FUZZ_SRCS_$(1)) $(FUZZ_HDRS) tests/fuzz/fuzz.mk | $(FUZZ_DIR)/.toolchain-ok
	@mkdir -p $$(dir $$@) $(FUZZ_DIR)/nocmp-$(1)
	@echo "  CC [fuzz] $$@"
	@$(foreach s,$(FUZZ_NOCMP_$(1)),$(FUZZ_CC) $(FUZZ_CFLAGS) -fno-sanitize-coverage=trace-cmp -c $(s) \
		-o $(FUZZ_DIR)/nocmp-$(1)/$(notdir $(s:.c=.o)) &&) true
	@$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_$(1).c $(filter-out $(FUZZ_NOCMP_$(1)),$(FUZZ_SRCS_$(1))) \
		$(patsubst %.c,$(FUZZ_DIR)/nocmp-$(1)/%.o,$(notdir $(FUZZ_NOCMP_$(1)))) $(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_RULE,$(h))))

$(FUZZ_DIR)/gen_seeds: tests/fuzz/gen_seeds.c $(wildcard include/svmm/*.h)
	@mkdir -p $(dir $@)
	@$(HOST_CC) -std=c11 -Wall -Wextra -Werror -Iinclude $< -o $@

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-seeds
fuzz-build: $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh smoke "$(BUILD)" $(FUZZ_SMOKE_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	@tests/fuzz/run.sh long "$(BUILD)" $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-seeds: $(FUZZ_DIR)/gen_seeds
	@mkdir -p $(addprefix tests/fuzz/corpus/,$(FUZZ_HARNESSES))
	@$(FUZZ_DIR)/gen_seeds tests/fuzz/corpus

# Coverage (make fuzz-cov) and AFL++ (make fuzz-afl): not part of make test.
-include tests/fuzz/depth.mk
