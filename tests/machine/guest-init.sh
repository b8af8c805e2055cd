#!/bin/sh
# /init of the svmm test GUEST (packed by mkguest-initrd.sh; runs under busybox sh).
# Loads the virtio modules listed in /etc/modules, then runs /etc/svmm-cmd on the
# virtio console (or an interactive shell if there is none) and powers off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
/bin/busybox mount -t proc proc /proc
read -r up _ < /proc/uptime          # first thing: how long the kernel took to boot
/bin/busybox --install -s            # applet symlinks
echo "[guest-init] init reached at uptime $up s"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in $(cat /etc/modules); do
    if modprobe "$m"; then echo "[guest-init] loaded $m"; else echo "[guest-init] FAILED to load $m"; fi
done
echo "[guest-init] online cpus: $(nproc) ($(cat /sys/devices/system/cpu/online))"

# The virtio console's port may appear shortly after the module loads.
tty=/dev/hvc0
# The node can exist before the port is usable (with multiport, hvc0 is connected only after the
# driver's control handshake): wait until it opens, up to 10 s.
usable() { ( : > "$1" ) 2>/dev/null; }
for _ in $(seq 100); do
    usable $tty && break
    sleep 0.1
done
if ! usable $tty; then
    echo "[guest-init] WARNING: $tty missing, falling back to /dev/console"
    tty=/dev/console
fi

# A driver VM serves partitions of its disk to other VMs: svmm-compose puts the agent's table on the
# kernel command line, svmm_blk_agent=SERIAL,NAME=OFFSET:SIZE[:ro],... (docs/inter-vm.md): the disk
# is the one whose virtio-blk serial is SERIAL. The agent runs until power-off.
agent=$(sed -n 's/.*svmm_blk_agent=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$agent" ]; then
    serial=${agent%%,*} table=$(echo "${agent#*,}" | tr , ' ') disk=
    for _ in $(seq 50); do
        for s in /sys/block/vd*; do
            [ "$(cat "$s/serial" 2>/dev/null)" = "$serial" ] && disk=/dev/${s##*/}
        done
        [ -n "$disk" ] && break
        sleep 0.1
    done
    if [ -n "$disk" ]; then
        echo "[guest-init] svmm-blk-agent serves $table on $disk"
        svmm-blk-agent --disk "$disk" $table > /dev/console 2>&1 &
    else
        echo "[guest-init] FAILED: no disk with serial '$serial' for svmm-blk-agent"
    fi
fi

if [ -f /etc/svmm-cmd ]; then
    echo "[guest-init] running /etc/svmm-cmd on $tty"
    sh /etc/svmm-cmd < $tty > $tty 2>&1
    msg="[guest-init] svmm-cmd exit status: $?"
else
    echo "[guest-init] interactive shell on $tty (exit it to power off)"
    # A new session whose controlling terminal is $tty, so ^C and job control work.
    setsid -c sh -i < $tty > $tty 2>&1
    msg="[guest-init] shell exited: $?"
fi
echo "$msg"
[ $tty = /dev/console ] || echo "$msg" > $tty
echo "[guest-init] powering off"
poweroff -f
