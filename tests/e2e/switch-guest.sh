# The guest side of the virtual-switch tests (tests/e2e/hosted-switch.sh, where vsock-vm-guest.sh
# follows it in the same guests; sel4-switch.sh): both VMs run this; each knows who it is by its
# MAC. vm2 sinks 64 MiB of TCP from vm1 (SHA-256 printed by both ends), vm1 then sends with vm2's
# MAC, which its port was not given (must reach nobody), returns to its own and tells vm2 it is done
# (a connection to port 5002). With sw_uplink=IP on the kernel command line, vm1 also pings IP, a
# host behind the switch's uplink.
BULK=67108864
mac=$(cat /sys/class/net/eth0/address)
case $mac in
    52:54:00:00:00:01) me=1 ;;
    52:54:00:00:00:02) me=2 ;;
    *) echo "SW-UNKNOWN-MAC $mac"; exit 1 ;;
esac
ip link set eth0 up && ip addr add 10.0.3.$me/24 dev eth0
echo "SW-VM$me up, MAC $mac"
if [ $me = 2 ]; then
    timeout 900 /vsock_helper tcp-sink 5001 > /sink.log 2>&1; echo "SW-VM2-SINK status=$? $(cat /sink.log)"
    # vm1 says it is done by connecting to 5002; until then vm2 answers pings.
    timeout 900 /vsock_helper tcp-sink 5002 > /done.log 2>&1; echo "SW-VM2-DONE status=$?"
else
    # vm2 may still be booting: wait for its first answer (up to about 4 minutes).
    for i in $(seq 120); do ping -c 1 -W 2 10.0.3.2 > /dev/null 2>&1 && break; done
    ping -c 5 -W 5 10.0.3.2 > /ping.log; echo "SW-VM1-PING status=$? $(grep -o '[0-9]* packets received' /ping.log)"
    # A host behind the switch's uplink, when the test gives one (hosted: svmm switch --uplink tap=).
    up=$(sed -n 's/.*sw_uplink=\([0-9.]*\).*/\1/p' /proc/cmdline)
    if [ -n "$up" ]; then
        ping -c 3 -W 5 $up > /up.log; echo "SW-VM1-UPLINK-PING status=$? $(grep -o '[0-9]* packets received' /up.log)"
    fi
    for i in $(seq 30); do
        timeout 900 /vsock_helper tcp-send 10.0.3.2 5001 $BULK > /send.log 2>&1 && break
        sleep 2
    done
    echo "SW-VM1-SEND $(cat /send.log)"
    # vm2's MAC, which this port was not given: the switch drops what vm1 sends now.
    ip link set eth0 down; ip link set eth0 address 52:54:00:00:00:02; ip link set eth0 up
    ip neigh flush dev eth0 2>/dev/null
    ping -c 3 -W 2 10.0.3.2 > /spoof.log; echo "SW-VM1-SPOOF-PING status=$? $(grep -o '[0-9]* packets received' /spoof.log)"
    ip link set eth0 down; ip link set eth0 address 52:54:00:00:00:01; ip link set eth0 up
    for i in $(seq 30); do /vsock_helper tcp-send 10.0.3.2 5002 1 > /dev/null 2>&1 && break; sleep 1; done
    echo "SW-VM1-DONE"
fi
