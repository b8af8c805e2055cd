# Fuzzing at depth (issue 14): source-based coverage of the fuzz corpora and AFL++ as a second engine.
# Included by tests/fuzz/fuzz.mk; nothing here is part of `make test`. tests/fuzz/README.md has the results.
#   make fuzz-cov                           llvm-cov line/region/branch coverage of each harness's files under
#                                           test over its corpora -> $(BUILD)/fuzz/cov/ (summary.txt, html/)
#   make fuzz-afl FUZZ_SECONDS=300          afl-fuzz each harness from its seeds; table of execs, corpus, crashes
#   make fuzz-afl FUZZ_TARGETS="vgic exits" only some harnesses (as for make fuzz)
# AFL++ crash inputs go to $(BUILD)/fuzz/afl-crashes/<harness>-*, each replayed by the libFuzzer binary.

# ---- coverage (clang source-based: -fprofile-instr-generate -fcoverage-mapping) ----
# libFuzzer's driver only runs the corpus (-runs=0); no sanitizers, -O0 so that lines and branches map 1:1.
FUZZ_COV_DIR := $(FUZZ_DIR)/cov
FUZZ_COV_CFLAGS := -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping -g -O0 -Iinclude -D_GNU_SOURCE \
	$(filter-out -Werror,$(WARN))
LLVM_COV ?= llvm-cov
LLVM_PROFDATA ?= llvm-profdata

# The files a harness is about (its report rows): its sources without the log, unless narrowed here to
# the parser the harness exists for (exits links the whole core; vgic builds a DT as scaffolding).
FUZZ_COV_FILES_exits := src/arch/aarch64/exits.c src/arch/aarch64/psci.c
# arch/aarch64/image.c only forwards to boot.c's parser, which the harness calls directly.
FUZZ_COV_FILES_image := src/core/boot.c
FUZZ_COV_FILES_vgic := src/arch/aarch64/vgic.c src/arch/aarch64/vgic_dist.c src/arch/aarch64/vgic_redist.c
# The link harnesses compile a virtio device to have a guest side; their subject is the link and its rings.
FUZZ_COV_FILES_virtio_vsock := src/virtio/vsock.c $(filter-out src/core/log.c,$(FUZZ_VDEV_SRCS))
FUZZ_COV_FILES_vswitch := src/net/vswitch.c src/net/net_offload.c src/ipc/netq.c
FUZZ_COV_FILES_net_link := src/net/net_link.c src/ipc/netq.c
FUZZ_COV_FILES_vsock_link := src/net/vsock_link.c src/ipc/netq.c
FUZZ_COV_FILES_blkq_client := src/blk/blk_link.c src/ipc/blkq.c
fuzz_cov_files = $(or $(FUZZ_COV_FILES_$(1)),$(filter-out src/core/log.c,$(FUZZ_SRCS_$(1))))

define FUZZ_COV_RULE
$(FUZZ_COV_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(wildcard tests/fuzz/*.h) $(FUZZ_SRCS_$(1)) $(FUZZ_HDRS) \
		tests/fuzz/fuzz.mk tests/fuzz/depth.mk | $(FUZZ_DIR)/.toolchain-ok
	@mkdir -p $$(dir $$@)
	@echo "  CC [fuzz-cov] $$@"
	@$(FUZZ_CC) $(FUZZ_COV_CFLAGS) tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_COV_RULE,$(h))))

# ---- AFL++ (Debian's afl++: afl-clang-fast links the libFuzzer-style harness to libAFLDriver.a) ----
# Two builds per harness: ASan + UBSan (the one fuzzed, so that its crashes mean what libFuzzer's do) and a
# CmpLog one (afl-fuzz -c: solves comparisons against guest-visible constants, like libFuzzer's trace-cmp).
FUZZ_AFL_DIR := $(FUZZ_DIR)/afl
AFL_CC ?= afl-clang-fast
FUZZ_AFL_CFLAGS := -fsanitize=fuzzer -g -O1 -fno-omit-frame-pointer -Iinclude -D_GNU_SOURCE $(filter-out -Werror,$(WARN))

$(FUZZ_AFL_DIR)/.toolchain-ok:
	@mkdir -p $(dir $@)
	@command -v $(AFL_CC) >/dev/null && command -v afl-fuzz >/dev/null || { \
		echo "FAIL fuzz-afl: AFL++ is not installed: apt-get install afl++"; exit 1; }
	@touch $@

define FUZZ_AFL_RULE
$(FUZZ_AFL_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(wildcard tests/fuzz/*.h) $(FUZZ_SRCS_$(1)) $(FUZZ_HDRS) \
		tests/fuzz/fuzz.mk tests/fuzz/depth.mk | $(FUZZ_AFL_DIR)/.toolchain-ok
	@echo "  CC [fuzz-afl] $$@"
	@AFL_QUIET=1 AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(AFL_CC) $(FUZZ_AFL_CFLAGS) -fno-sanitize-recover=all \
		tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1)) -o $$@
	@AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(AFL_CC) $(FUZZ_AFL_CFLAGS) \
		tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_LIBS_$(1)) -o $$@.cmplog
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_AFL_RULE,$(h))))

.PHONY: fuzz-cov fuzz-afl fuzz-cov-build fuzz-afl-build
fuzz-cov-build: $(patsubst %,$(FUZZ_COV_DIR)/fuzz_%,$(FUZZ_TARGETS))

fuzz-cov: fuzz-cov-build
	@mkdir -p $(FUZZ_COV_DIR)
	@: > $(FUZZ_COV_DIR)/files.txt
	@$(foreach h,$(FUZZ_TARGETS),echo "$(h) $(call fuzz_cov_files,$(h))" >> $(FUZZ_COV_DIR)/files.txt;)
	@LLVM_COV=$(LLVM_COV) LLVM_PROFDATA=$(LLVM_PROFDATA) tests/fuzz/cov.sh "$(BUILD)" $(FUZZ_COV_DIR)/files.txt

fuzz-afl-build: $(patsubst %,$(FUZZ_AFL_DIR)/fuzz_%,$(FUZZ_TARGETS))

# The libFuzzer binaries replay AFL++'s crashes.
fuzz-afl: fuzz-afl-build fuzz-build
	@tests/fuzz/afl.sh "$(BUILD)" $(FUZZ_SECONDS) $(FUZZ_TARGETS)
