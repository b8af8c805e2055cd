# The ThreadSanitizer tier; included by the Makefile.  make tsan  (a `make test` tier, well under a minute)
#
# The hosted platform is the only multi-threaded part of svmm: vCPU threads, the virtio-blk file
# backend's 4 workers (blk_file.c), the tap receive thread (net_tap.c), the vsock Unix-socket thread
# (vsock_uds.c), the console thread (console_pump, with console_pty.c's ptys), the link threads of
# switch ports and block-server disks (link_thread.c: net_switch.c, blk_link_shm.c), the VM-to-VM
# vsock peers thread (vsock_peers.c), a driver VM's relay thread (blk_relay_host.c with
# blk_serve_shm.c) and the watchdog's timer thread (watchdog_host.c), all meeting in device code under the platform's device lock. This tier builds
# those files with -fsanitize=thread for the x86 host and runs each against a simulated guest: a
# thread that writes descriptors and avail rings in fake guest RAM (tests/unit/fake_guest.c plus
# tests/tsan/guest.c), kicks the device through its virtio-mmio registers under the device lock the
# way kvm.c's MMIO exit does, and waits for the transport's interrupt. Every scenario checks the data
# end to end (blk: a pattern over a real temp file, read back and compared, resets under load, then
# I/O errors on two disks' 8 workers at once, each disk's logged within its own rate limit; net:
# numbered frames both ways through a SOCK_SEQPACKET socketpair standing in for the tap, attached
# with net_tap_attach_fd, so no CAP_NET_ADMIN is needed; vsock: two connections echoing 2 MiB each
# way through real Unix sockets; console: the multiport handshake, then data both ways on two ptys
# and out to a file; switch: two VMMs' guests exchange numbered frames through a real `svmm switch`
# (switch_main.c, this binary run again as a child process), then the switch stops and both link
# threads take their links down; peers: two VMMs (CIDs 3 and 4) meet over the rendezvous socket,
# the connector started first, and their guests run two connections with 1 MiB each way each, then
# one VMM stops and the other's guest gets RST for that CID; relay: a driver VMM whose guest runs the
# agent protocol on its console port serves three user VMMs' disks (blk_link_shm.c): two write,
# flush and read back their whole disks at once, one leaves with requests at the agent; watchdog:
# a vCPU refreshes the SBSA watchdog while its timer thread ticks it, then stops: one WS1, status 3). TSan runs
# with halt_on_error=1: its first report ends the run, which then still prints "tsan: N passed, N
# failed" (N failed >= 1). kvm.c itself is not built (it needs arm64 KVM headers); the tier stands in
# for its stop (tests/tsan/tsan_main.c) and its MMIO exit.
# Run one scenario with $(BUILD)/tsan/tsan-tests blk (or net, vsock, console, switch, peers, relay, watchdog);
# TSAN_VERBOSE=1 shows the log lines.
TSAN_CC ?= gcc
TSAN_DIR := $(BUILD)/tsan
# -Wno-tsan: GCC warns that TSan ignores atomic_thread_fence (virtqueue.c orders guest-shared memory
# with fences); here the simulated guest touches its rings under the device lock, so no fence is
# what orders anything TSan sees. -Wno-maybe-uninitialized: TSan's instrumentation changes GCC's
# flow analysis at -O1 into false alarms the other builds (same warnings, -Werror) do not see.
TSAN_CFLAGS := $(WARN) -Wno-tsan -Wno-maybe-uninitialized $(INC) -Isrc/platform/kvm -Itests/unit -D_GNU_SOURCE -g -O1 \
	-fsanitize=thread -fno-omit-frame-pointer
TSAN_SRCS := src/core/log.c src/core/memmap.c src/core/uart16550.c \
	src/virtio/device.c src/virtio/mmio.c src/virtio/virtqueue.c \
	src/virtio/blk.c src/virtio/net.c src/virtio/console.c src/virtio/vsock.c src/net/vsock_link.c src/ipc/netq.c \
	src/platform/kvm/blk_file.c src/platform/kvm/net_tap.c src/platform/kvm/vsock_uds.c \
	src/platform/kvm/console_pty.c src/platform/kvm/stdio_console.c \
	src/net/net_link.c src/net/net_offload.c src/net/vswitch.c src/ipc/blkq.c src/blk/blk_link.c \
	src/blk/blk_relay.c src/blk/blk_server.c \
	src/platform/kvm/shm_link.c src/platform/kvm/netq_shm.c src/platform/kvm/link_thread.c \
	src/platform/kvm/net_switch.c src/platform/kvm/switch_main.c src/platform/kvm/switch_cli.c \
	src/platform/kvm/tap.c src/platform/kvm/vsock_peers.c src/platform/kvm/blk_link_shm.c \
	src/platform/kvm/blk_serve_shm.c src/platform/kvm/blk_relay_host.c \
	src/core/sbsa_gwdt.c src/platform/kvm/watchdog_host.c \
	tests/unit/fake_guest.c $(wildcard tests/tsan/*.c)
TSAN_OBJS := $(patsubst %.c,$(TSAN_DIR)/%.o,$(TSAN_SRCS))

.PHONY: tsan

# Fail with the fix and a result line when the compiler cannot build with TSan (Debian: libtsan in gcc).
$(TSAN_DIR)/.toolchain-ok:
	@mkdir -p $(dir $@)
	@printf 'int main(void) { return 0; }\n' | $(TSAN_CC) -fsanitize=thread -x c - -o $(TSAN_DIR)/.toolchain-test \
		>/dev/null 2>&1 || { echo "FAIL tsan: '$(TSAN_CC) -fsanitize=thread' does not link: apt-get install gcc (libtsan2)"; \
		echo "tsan: 0 passed, 1 failed"; exit 1; }
	@rm -f $(TSAN_DIR)/.toolchain-test
	@touch $@

$(TSAN_DIR)/%.o: %.c $(HDRS) $(wildcard tests/tsan/*.h) | $(TSAN_DIR)/.toolchain-ok
	@mkdir -p $(dir $@)
	@echo "  CC [tsan] $<"
	@$(TSAN_CC) $(TSAN_CFLAGS) -c $< -o $@ || { echo "tsan: 0 passed, 1 failed"; exit 1; }

$(TSAN_DIR)/tsan-tests: $(TSAN_OBJS)
	@echo "  LD $@"
	@$(TSAN_CC) $(TSAN_CFLAGS) $^ -o $@ || { echo "tsan: 0 passed, 1 failed"; exit 1; }

# Run without address randomisation where setarch can: GCC 12's TSan runtime aborts ("unexpected
# memory mapping") on kernels that randomise mmap with more than 28 bits, as newer ones may.
TSAN_NOASLR = $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)

# stdin from /dev/null: the console thread also reads stdin (input for the emulated UART).
tsan: $(TSAN_DIR)/tsan-tests
	@TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1$${TSAN_OPTIONS:+:$$TSAN_OPTIONS}" \
		$(TSAN_NOASLR) $(TSAN_DIR)/tsan-tests </dev/null
