# svmm-compose, the system composer (issue 6): built natively for the build machine.
# Included by the top-level Makefile.   make compose  ->  $(BUILD)/host/svmm-compose
# It links the core's own guest-DT, config and boot-plan code, so the DTBs it writes are what the VMM builds.
COMPOSE := $(BUILD)/host/svmm-compose
COMPOSE_SRCS := $(wildcard tools/compose/*.c)
COMPOSE_CORE := src/machine/guest_dt.c src/core/dt_props.c src/core/config.c src/core/boot.c src/arch/aarch64/dt.c src/arch/aarch64/machine.c src/arch/aarch64/image.c src/arch/riscv64/image.c src/ipc/netq.c src/ipc/blkq.c
COMPOSE_OBJS := $(patsubst %.c,$(BUILD)/compose/%.o,$(COMPOSE_SRCS) $(COMPOSE_CORE))
COMPOSE_CFLAGS := $(WARN) $(INC) -D_GNU_SOURCE -O2 -g -Wno-format-truncation

.PHONY: compose compose-test

compose: $(COMPOSE)

$(BUILD)/compose/%.o: %.c $(HDRS) tools/compose/compose.h
	@mkdir -p $(dir $@)
	@echo "  CC [compose] $<"
	@$(HOST_CC) $(COMPOSE_CFLAGS) -c $< -o $@

$(COMPOSE): $(COMPOSE_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(HOST_CC) $^ -lfyaml -lfdt -o $@

compose-test: $(COMPOSE)
	@tests/compose/run.sh

# The guest kernel and initramfs the examples name (examples/*/system.yaml): Debian's arm64 kernel
# and a busybox initramfs with an interactive shell on hvc0.
.PHONY: guest-images
guest-images:
	@BUILD=$(abspath $(BUILD)) tests/machine/mkguest-initrd.sh $(abspath $(BUILD))/guest.cpio.gz
