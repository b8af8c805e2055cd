# make bench: seL4 exit-path and boot measurements (tests/bench/run.sh, docs/performance.md).
# Not part of `make test`. Needs a Microkit SDK (MICROKIT_SDK=..., else the /opt defaults).
include tests/guest/guest.mk

.PHONY: bench bench-guest
bench-guest: $(GUEST_BENCH)

bench: deps $(BUILD)/freestanding/libsvmm.a
	@tests/bench/run.sh $(MICROKIT_SDK)
