# The block server's end-to-end tiers; the top-level Makefile includes this file (-include).
# SPDX-License-Identifier: BSD-2-Clause
#   make e2e-blkserver   a user VM's disk on a partition served by `svmm blk-server` in the QEMU test
#                        machine: 64 MiB write / drop caches / read back, host-side SHA-256, second
#                        boot, read-only range, other clients' ranges, against --disk FILE
#   make e2e-driver-vm   a user VM's disk on a partition of a driver VM's disk (svmm run --serve-disk and
#                        svmm-blk-agent in the driver VM): 64 MiB with SHA-256 in the guest and on the
#                        driver VM's image, second boot, read-only and foreign ranges, against --disk FILE
#   make e2e-blkserver-dvm
#                        both of the above in one QEMU test machine run, one after the other (tier
#                        e2e-blkserver-dvm of make test: tests/e2e/hosted-blkserver-dvm.sh)
#   make sel4-blkserver MICROKIT_SDK=/path [MICROKIT_CONFIG=debug]
#                        a user VM's two disks on partitions of a block server PD's RAM disk (composed
#                        from block_servers:): 64 MiB with SHA-256, a read-only partition refuses writes
#   make sel4-driver-vm MICROKIT_SDK=/path [MICROKIT_CONFIG=debug]
#                        a user VM's two disks on partitions of a driver VM's RAM disk (partitions: and
#                        server: <vm>; svmm-blk-agent in the driver VM): 64 MiB with SHA-256 in the user
#                        VM and on the driver VM's disk, read-only and unserved partitions
.PHONY: e2e-blkserver e2e-driver-vm e2e-blkserver-dvm sel4-blkserver sel4-driver-vm
e2e-blkserver: deps svmm
	@tests/e2e/hosted-blkserver.sh

e2e-driver-vm: deps svmm
	@BUILD=$(abspath $(BUILD)) tests/e2e/hosted-driver-vm.sh

e2e-blkserver-dvm: deps svmm
	@BUILD=$(abspath $(BUILD)) tests/e2e/hosted-blkserver-dvm.sh

sel4-blkserver: deps
	@test -n "$(MICROKIT_SDK)" || { echo "error: set MICROKIT_SDK=/path/to/microkit-sdk-2.0.1"; exit 1; }
	@tests/e2e/sel4-blkserver.sh "$(MICROKIT_SDK)" $(MICROKIT_CONFIG)

sel4-driver-vm: deps
	@test -n "$(MICROKIT_SDK)" || { echo "error: set MICROKIT_SDK=/path/to/microkit-sdk-2.0.1"; exit 1; }
	@BUILD=$(abspath $(BUILD)) tests/e2e/sel4-driver-vm.sh "$(MICROKIT_SDK)" $(MICROKIT_CONFIG)
