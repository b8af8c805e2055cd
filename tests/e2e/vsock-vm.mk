# SPDX-License-Identifier: BSD-2-Clause
# VM-to-VM vsock end-to-end tiers; the top-level Makefile includes this file (-include).
#   make e2e-vsock-vm    two VMs in the QEMU test machine, each VMM --vsock ...,peer=: connections set up
#                        both ways, 4 MiB echoed each way (SHA-256 on both ends), a CID with no link refused;
#                        the same run as make e2e-switch (tests/e2e/hosted-switch.sh: the switch's two
#                        guests are also the vsock pair)
#   make sel4-vsock MICROKIT_SDK=/path [MICROKIT_CONFIG=debug]
#                        the same guests on seL4: examples/vsock-pair, VMM-to-VMM link and channel
.PHONY: e2e-vsock-vm sel4-vsock
e2e-vsock-vm: deps svmm
	@tests/e2e/hosted-switch.sh

sel4-vsock: deps
	@test -n "$(MICROKIT_SDK)" || { echo "error: set MICROKIT_SDK=/path/to/microkit-sdk-2.0.1"; exit 1; }
	@tests/e2e/sel4-vsock.sh "$(MICROKIT_SDK)" $(MICROKIT_CONFIG)
