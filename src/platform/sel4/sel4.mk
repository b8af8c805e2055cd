# The seL4 Microkit platform. Included by the top-level Makefile; needs MICROKIT_SDK.
#   make sel4-example MICROKIT_SDK=/path [MICROKIT_BOARD=qemu_virt_aarch64] [MICROKIT_CONFIG=debug|release]
#        GUEST_KERNEL=Image GUEST_INITRD=initrd [GUEST_CPUS=2] [GUEST_RAM_MIB=256] [GUEST_BOOTARGS=...]
MICROKIT_BOARD ?= qemu_virt_aarch64
MICROKIT_CONFIG ?= debug
SEL4_BOARD_DIR = $(MICROKIT_SDK)/board/$(MICROKIT_BOARD)/$(MICROKIT_CONFIG)
SEL4_GIC = $(if $(shell grep -s 'define CONFIG_ARM_GIC_V3_SUPPORT' $(SEL4_BOARD_DIR)/include/kernel/gen_config.h),3,2)
SEL4_BUILD = $(BUILD)/sel4/$(MICROKIT_BOARD)-$(MICROKIT_CONFIG)-gicv$(SEL4_GIC)
SEL4_SRCS := $(wildcard src/platform/sel4/*.c)
SEL4_OBJS = $(patsubst %.c,$(SEL4_BUILD)/%.o,$(SEL4_SRCS))
SEL4_CFLAGS = $(FREE_CFLAGS) -std=gnu11 -Wno-unused-function -I$(SEL4_BOARD_DIR)/include -Isrc/platform/sel4 # seL4 headers use GNU asm
PICOLIBC_LIBC := /usr/lib/picolibc/aarch64-linux-gnu/lib/libc.a

GUEST_CPUS ?= 2
GUEST_RAM_MIB ?= 256
GUEST_BOOTARGS ?= console=ttyS0 earlycon
EXAMPLE := $(SEL4_BUILD)/linux-single

.PHONY: sel4-check sel4-example

sel4-check:
	@test -n "$(MICROKIT_SDK)" || { echo "error: set MICROKIT_SDK=/path/to/microkit-sdk (2.0.1 or newer)"; exit 1; }
	@test -d "$(SEL4_BOARD_DIR)" || { echo "error: $(SEL4_BOARD_DIR) not found: does the SDK support $(MICROKIT_BOARD) $(MICROKIT_CONFIG)?"; exit 1; }

$(SEL4_BUILD)/%.o: %.c $(HDRS) $(wildcard src/platform/sel4/*.h src/arch/aarch64/*.h) | sel4-check $(ARM64_FDT)/include/libfdt.h
	@mkdir -p $(dir $@)
	@echo "  CC [sel4] $<"
	@$(CROSS)gcc $(SEL4_CFLAGS) -c $< -o $@

$(EXAMPLE)/vm_config.c $(EXAMPLE)/linux.system: examples/linux-single/gen-system.sh $(GUEST_KERNEL) $(GUEST_INITRD) | sel4-check
	@test -f "$(GUEST_KERNEL)" && test -f "$(GUEST_INITRD)" || { echo "error: set GUEST_KERNEL and GUEST_INITRD"; exit 1; }
	@examples/linux-single/gen-system.sh $(EXAMPLE) linux $(GUEST_CPUS) $(GUEST_RAM_MIB) $(SEL4_GIC) \
		$(GUEST_KERNEL) $(GUEST_INITRD) "$(GUEST_BOOTARGS)"

$(EXAMPLE)/vm_config.o: $(EXAMPLE)/vm_config.c
	@$(CROSS)gcc $(SEL4_CFLAGS) -c $< -o $@

# --gc-sections drops unused code; picolibc's integer-only printf core keeps float formatting out.
$(EXAMPLE)/svmm.elf: src/platform/sel4/sel4.mk $(SEL4_OBJS) $(EXAMPLE)/vm_config.o $(BUILD)/freestanding/libsvmm.a
	@echo "  LD $@"
	@$(CROSS)ld -L$(SEL4_BOARD_DIR)/lib $(SEL4_OBJS) $(EXAMPLE)/vm_config.o $(BUILD)/freestanding/libsvmm.a \
		$(ARM64_FDT)/lib/aarch64-linux-gnu/libfdt.a $(PICOLIBC_LIBC) $$($(CROSS)gcc -print-libgcc-file-name) \
		-lmicrokit -Tmicrokit.ld --gc-sections --undefined=__i_vfprintf --defsym=vfprintf=__i_vfprintf -o $@
	@$(CROSS)size $@

$(EXAMPLE)/loader.img: $(EXAMPLE)/svmm.elf $(EXAMPLE)/linux.system
	@echo "  MICROKIT $@"
	@$(MICROKIT_SDK)/bin/microkit $(EXAMPLE)/linux.system --search-path $(EXAMPLE) --board $(MICROKIT_BOARD) \
		--config $(MICROKIT_CONFIG) -o $@ -r $(EXAMPLE)/report.txt

sel4-example: $(EXAMPLE)/loader.img
	@echo "built $(EXAMPLE)/loader.img (GICv$(SEL4_GIC)); boot images: $$(cat $(EXAMPLE)/qemu-images.args)"
