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
