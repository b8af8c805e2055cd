# SPDX-License-Identifier: BSD-2-Clause
# The guest side of the VM-to-VM vsock tests (tests/e2e/hosted-switch.sh, after switch-guest.sh in
# the same guests; sel4-vsock.sh): both VMs run this; each knows its CID (3 or 4) from "vsockme=" on
# its kernel command line. Each serves a vsock echo on port 5000 + its CID and connects to the
# other's, so connections are set up in both directions; each sends 4 MiB through its connection
# and compares the echo (SHA-256 both ends).
# VM 3 also connects to CID 9, which no VMM links it to: its VMM must refuse at once (RST).
BULK=4194304
me=$(sed -n 's/.*vsockme=\([0-9]*\).*/\1/p' /proc/cmdline)
case $me in
    3) peer=4 ;;
    4) peer=3 ;;
    *) echo "VV-UNKNOWN-CID '$me'"; exit 1 ;;
esac
echo "VV-$me up, peer $peer"
timeout 900 /vsock_helper vsock-echo 500$me > /echo.log 2>&1 & echo_pid=$!
if [ $me = 3 ]; then
    t0=$(date +%s)
    timeout 30 /vsock_helper vsock-send 9 5000 hello > /nobody.log 2>&1
    echo "VV-3-NOBODY status=$? after $(( $(date +%s) - t0 )) s: $(cat /nobody.log)"
fi
# The peer may still be booting: its kernel (or its VMM, until the link is up) refuses until then.
for i in $(seq 150); do
    timeout 600 /vsock_helper vsock-send $peer 500$peer @$BULK > /send.log 2>&1 && break
    sleep 2
done
echo "VV-$me-SEND $(cat /send.log)"
wait $echo_pid; echo "VV-$me-ECHO status=$? $(grep served /echo.log)"
