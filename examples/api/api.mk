# The high-level API's examples on Linux KVM (included by the Makefile): make api-examples builds
# $(BUILD)/aarch64/examples/api/<example>/<example> from its device.c and main-kvm.c (public headers
# only), linked with libsvmm-kvm.a; and the lifecycle test (below).
API_EXAMPLES := mmio-device virtio-backend
API_EXAMPLE_BINS := $(foreach e,$(API_EXAMPLES),$(BUILD)/aarch64/examples/api/$(e)/$(e))

define api_example
$(BUILD)/aarch64/examples/api/$(1)/$(1): $(BUILD)/aarch64/examples/api/$(1)/device.o \
		$(BUILD)/aarch64/examples/api/$(1)/main-kvm.o $(BUILD)/aarch64/libsvmm-kvm.a
	@echo "  LD $$@"
	@$$(CROSS)gcc $$(ARM64_LDFLAGS) $$^ -lfdt -o $$@
	@echo "built $$@ ($$$$(stat -c %s $$@) bytes)"
$(BUILD)/aarch64/examples/api/$(1)/device.o $(BUILD)/aarch64/examples/api/$(1)/main-kvm.o: $(wildcard examples/api/$(1)/*.h)
endef
$(foreach e,$(API_EXAMPLES),$(eval $(call api_example,$(e))))

.PHONY: api-examples
api-examples: $(API_EXAMPLE_BINS)

# The API's lifecycle test on KVM (tests/e2e/hosted-api-examples.sh runs it beside the examples):
# tests/e2e/api-lifecycle's lifecycle.c and main-kvm.c, the same lifecycle.c its seL4 PD links.
API_LIFECYCLE := $(BUILD)/aarch64/tests/e2e/api-lifecycle/api-lifecycle
$(API_LIFECYCLE): $(BUILD)/aarch64/tests/e2e/api-lifecycle/lifecycle.o \
		$(BUILD)/aarch64/tests/e2e/api-lifecycle/main-kvm.o $(BUILD)/aarch64/libsvmm-kvm.a
	@echo "  LD $@"
	@$(CROSS)gcc $(ARM64_LDFLAGS) $^ -lfdt -o $@
	@echo "built $@ ($$(stat -c %s $@) bytes)"
$(BUILD)/aarch64/tests/e2e/api-lifecycle/lifecycle.o $(BUILD)/aarch64/tests/e2e/api-lifecycle/main-kvm.o: \
	tests/e2e/api-lifecycle/lifecycle.h
api-examples: $(API_LIFECYCLE)
