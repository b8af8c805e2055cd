# The block server's end-to-end tier; the top-level Makefile includes this file (-include).
#   make e2e-blkserver   a user VM's disk on a partition served by `svmm blk-server` in the QEMU test
#                        machine: 64 MiB write / drop caches / read back, host-side SHA-256, second
#                        boot, read-only range, other clients' ranges, against --disk FILE
.PHONY: e2e-blkserver
e2e-blkserver: deps svmm
	@tests/e2e/hosted-blkserver.sh
