# make bench: seL4 exit-path and boot measurements (tests/bench/run.sh), then the hosted virtio-blk
# bench (tests/bench/blk.sh, also alone as make bench-blk) and the hosted virtio-net bench against
# QEMU-KVM (tests/bench/net.sh, also alone as make bench-net; it fetches Debian's arm64 QEMU with
# tests/machine/fetch.sh --qemu), hosted restart latency against QEMU-KVM (tests/bench/restart.sh, also
# alone as make bench-restart), then the seL4 switch's instructions per frame (tests/bench/sel4-net.sh,
# also alone as make bench-sel4-net) and the seL4 driver VM's per 4 KiB block request against the native
# block server PD (tests/bench/sel4-blk.sh, also alone as make bench-sel4-blk), and what idle guests cost
# on seL4 (tests/bench/sel4-idle.sh, also alone as make bench-sel4-idle); docs/performance.md explains them.
# Not part of `make test`. The seL4 part needs a Microkit SDK (MICROKIT_SDK=..., else the /opt defaults);
# without one it fails and the blk part still runs (make bench then exits non-zero).
include tests/guest/guest.mk

.PHONY: bench bench-guest bench-blk bench-net bench-restart bench-sel4-net bench-sel4-blk bench-sel4-idle bench-blkserver
bench-guest: $(GUEST_BENCH)

bench: deps $(BUILD)/freestanding/libsvmm.a svmm
	@rc=0; tests/bench/run.sh $(MICROKIT_SDK) || rc=$$?; BUILD=$(BUILD) tests/bench/blk.sh || rc=1; \
		BUILD=$(BUILD) tests/bench/net.sh || rc=1; BUILD=$(BUILD) tests/bench/restart.sh || rc=1; \
		BUILD=$(BUILD) tests/bench/sel4-net.sh $(MICROKIT_SDK) || rc=1; \
		BUILD=$(BUILD) tests/bench/sel4-blk.sh $(MICROKIT_SDK) || rc=1; \
		BUILD=$(BUILD) tests/bench/sel4-idle.sh $(MICROKIT_SDK) || rc=1; \
		$(MAKE) -s bench-blkserver BUILD=$(BUILD) || rc=1; exit $$rc

bench-blk: deps svmm
	@BUILD=$(BUILD) tests/bench/blk.sh

bench-net: deps svmm
	@BUILD=$(BUILD) tests/bench/net.sh

# Hosted restart latency (admin command -> guest init), svmm against QEMU-KVM killed and relaunched.
bench-restart: deps svmm
	@BUILD=$(BUILD) tests/bench/restart.sh

# The block server and the driver VM against the same disk served directly (--disk FILE), in one test
# machine run each: the e2e tiers with their throughput baseline switched on.
bench-blkserver: deps svmm
	@E2E_BLK_BASELINE=1 BUILD=$(BUILD) tests/e2e/hosted-blkserver.sh; E2E_BLK_BASELINE=1 BUILD=$(BUILD) tests/e2e/hosted-driver-vm.sh

bench-sel4-net: deps $(BUILD)/freestanding/libsvmm.a
	@BUILD=$(BUILD) tests/bench/sel4-net.sh $(MICROKIT_SDK)

# Instructions per 4 KiB block request through a seL4 driver VM, by component (tests/bench/sel4-blk.sh).
bench-sel4-blk: deps $(BUILD)/freestanding/libsvmm.a
	@BUILD=$(BUILD) tests/bench/sel4-blk.sh $(MICROKIT_SDK)

# What an idle guest costs on seL4: WFI exits and kernel + VMM instructions per idle guest second (tests/bench/sel4-idle.sh).
bench-sel4-idle: deps $(BUILD)/freestanding/libsvmm.a
	@BUILD=$(BUILD) tests/bench/sel4-idle.sh $(MICROKIT_SDK)
