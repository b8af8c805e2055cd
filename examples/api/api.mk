# The high-level API's examples on Linux KVM (included by the Makefile): make api-examples builds
# $(BUILD)/aarch64/examples/api/<example>/<example> from its device.c and main-kvm.c (public headers
# only), linked with libsvmm-kvm.a.
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
