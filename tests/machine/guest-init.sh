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
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -c $tty ] && break
    sleep 0.1
done
if [ ! -c $tty ]; then
    echo "[guest-init] WARNING: $tty missing, falling back to /dev/console"
    tty=/dev/console
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
