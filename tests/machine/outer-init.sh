#!/bin/sh
# /init of the OUTER machine (packed by mkouter-initrd.sh; runs under busybox sh).
# Checks /dev/kvm, runs /script (which runs /svmm on /guest/*), reports the
# script's exit status and powers the machine off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
/bin/busybox mount -t proc proc /proc
read -r up _ < /proc/uptime
/bin/busybox --install -s
echo "[outer] init reached at uptime $up s"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

if [ -c /dev/kvm ]; then
    echo "[outer] /dev/kvm present"
else
    echo "[outer] ERROR: /dev/kvm is missing - KVM did not initialise in the outer machine:"
    dmesg | grep -i kvm
fi

echo "[outer] running /script"
sh /script
echo "[outer] svmm exit status: $?"
poweroff -f
