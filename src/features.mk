# Compile-time features (include/svmm/features.h), included by the top-level Makefile.
#   make svmm FEATURES="-net -vsock -up"     hosted svmm without them -> $(BUILD)/aarch64-no-net_no-vsock_no-up/svmm
#   make sel4-system SYSTEM=... FEATURES="-stats +watchdog"   every VMM without statistics, with the watchdog
# -NAME leaves a feature out, +NAME keeps it (seL4: even where the VM's description does not use it).
FEATURES ?=
FEATURE_NAMES := console blk net vsock rng up switch blk-server ctl watchdog restart admin slots passthrough driver-vm \
	smp stats
FEATURES_BAD := $(filter-out $(addprefix -,$(FEATURE_NAMES)) $(addprefix +,$(FEATURE_NAMES)),$(FEATURES))
ifneq ($(FEATURES_BAD),)
$(error FEATURES: $(FEATURES_BAD): each word is -NAME or +NAME, NAME one of: $(FEATURE_NAMES))
endif
# The last word about a feature wins; the off ones as SVMM_FEATURE_<NAME>=0.
feature_last = $(lastword $(filter -$(1) +$(1),$(FEATURES)))
FEATURES_OFF := $(strip $(foreach f,$(FEATURE_NAMES),$(if $(filter -$(f),$(call feature_last,$(f))),$(f))))
FEATURE_DEFS := $(foreach f,$(shell echo '$(FEATURES_OFF)' | tr 'a-z-' 'A-Z_'),-DSVMM_FEATURE_$(f)=0)
# A build with features off has an object folder of its own (the suffix of $(BUILD)/aarch64).
feature_empty :=
feature_space := $(feature_empty) $(feature_empty)
FEATURES_TAG := $(if $(FEATURES_OFF),-$(subst $(feature_space),_,$(addprefix no-,$(FEATURES_OFF))))

# Hosted (arm64 svmm): the sources each feature alone needs; those of features left out are not
# built, unless a feature that stays needs them too. The one call into each group is under
# `if (SVMM_FEATURE_<NAME>)` (cli.c, main.c), so nothing references a group that is left out.
FEATURE_SRCS_blk := src/virtio/blk.c src/platform/kvm/blk_file.c
FEATURE_SRCS_net := src/virtio/net.c src/net/net_link.c src/platform/kvm/net_tap.c src/platform/kvm/net_switch.c \
	src/platform/kvm/netq_shm.c src/ipc/netq.c
FEATURE_SRCS_vsock := src/virtio/vsock.c src/net/vsock_link.c src/platform/kvm/vsock_uds.c \
	src/platform/kvm/vsock_peers.c src/platform/kvm/netq_shm.c src/ipc/netq.c
FEATURE_SRCS_rng := src/virtio/rng.c src/platform/kvm/rng_host.c
FEATURE_SRCS_switch := src/net/vswitch.c src/net/net_offload.c src/virtio/net.c src/platform/kvm/switch_main.c \
	src/platform/kvm/switch_cli.c src/platform/kvm/tap.c src/platform/kvm/netq_shm.c src/ipc/netq.c
FEATURE_SRCS_blk-server := src/blk/blk_link.c src/blk/blk_relay.c src/blk/blk_server.c src/virtio/blk.c \
	src/platform/kvm/blk_link_shm.c src/platform/kvm/blk_relay_host.c src/platform/kvm/blk_serve_shm.c \
	src/platform/kvm/blk_server_main.c
FEATURE_SRCS_up := src/platform/kvm/up.c src/platform/kvm/up_plan.c src/platform/kvm/control.c
FEATURE_SRCS_ctl := src/platform/kvm/control.c
FEATURE_SRCS_watchdog := src/platform/kvm/watchdog_host.c src/core/sbsa_gwdt.c
FEATURES_KEPT_SRCS := $(foreach f,$(filter-out $(FEATURES_OFF),$(FEATURE_NAMES)),$(FEATURE_SRCS_$(f)))
FEATURES_LEFT_OUT := $(filter-out $(FEATURES_KEPT_SRCS),$(foreach f,$(FEATURES_OFF),$(FEATURE_SRCS_$(f))))
# The hosted svmm has no switch for these (seL4 VMMs only, or always in its VM): refused, not ignored.
FEATURES_SEL4_ONLY := console restart admin slots passthrough driver-vm smp stats
ifneq ($(filter svmm,$(MAKECMDGOALS)),)
ifneq ($(filter $(FEATURES_SEL4_ONLY),$(FEATURES_OFF)),)
$(error FEATURES: $(addprefix -,$(filter $(FEATURES_SEL4_ONLY),$(FEATURES_OFF))): the hosted svmm is always built with \
	these (they are switches of the seL4 VMMs: make sel4-system FEATURES=...))
endif
endif
