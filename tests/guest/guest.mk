# The bare-metal bench guest (an arm64 Image svmm boots like Linux). Included by tests/bench/bench.mk.
GUEST_BENCH := $(BUILD)/guest/bench-Image
GUEST_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -ffreestanding -nostdlib -fno-pic -mgeneral-regs-only \
	-mstrict-align -fno-stack-protector

$(GUEST_BENCH): tests/guest/head.S tests/guest/bench.c tests/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  CC [guest] $@"
	@$(CROSS)gcc $(GUEST_CFLAGS) -Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -static -Wl,--no-warn-rwx-segments \
		tests/guest/head.S tests/guest/bench.c -o $(BUILD)/guest/bench.elf
	@$(CROSS)objcopy -O binary $(BUILD)/guest/bench.elf $@

# The raw (non-relocatable) test guest: a flat binary for 0x48000000 (svmm run --load-addr, kernel_addr:).
GUEST_RAW := $(BUILD)/guest/raw.bin
.PHONY: raw-guest
raw-guest: $(GUEST_RAW)
$(GUEST_RAW): tests/guest/raw.S tests/guest/raw.ld
	@mkdir -p $(dir $@)
	@echo "  AS [guest] $@"
	@$(CROSS)gcc -nostdlib -static -Wl,-T,tests/guest/raw.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		tests/guest/raw.S -o $(BUILD)/guest/raw.elf
	@$(CROSS)objcopy -O binary $(BUILD)/guest/raw.elf $@

# The hostile guest (tests/guest/hostile.c, issue 14) and its neighbour, the ticker (the same source
# with -DTICKER): arm64 Images svmm boots like Linux, on both platforms.
GUEST_HOSTILE := $(BUILD)/guest/hostile-Image
GUEST_TICKER := $(BUILD)/guest/ticker-Image
.PHONY: hostile-guest
hostile-guest: $(GUEST_HOSTILE) $(GUEST_TICKER)
$(BUILD)/guest/hostile-Image $(BUILD)/guest/ticker-Image: $(BUILD)/guest/%-Image: tests/guest/hostile_head.S tests/guest/hostile.c tests/guest/guest.ld
	@mkdir -p $(dir $@)
	@echo "  CC [guest] $@"
	@$(CROSS)gcc $(GUEST_CFLAGS) -fno-tree-loop-distribute-patterns $(if $(filter ticker,$*),-DTICKER -Wno-unused-function) \
		-Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -static -Wl,--no-warn-rwx-segments \
		tests/guest/hostile_head.S tests/guest/hostile.c -o $(BUILD)/guest/$*.elf
	@$(CROSS)objcopy -O binary $(BUILD)/guest/$*.elf $@
