#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted SBSA watchdog, end to end (issue 12 part 3, the detection half), in one QEMU test machine
# run with three `svmm run --watchdog` boots of an unmodified Debian guest kernel, whose sbsa_gwdt
# module (inserted by the test command) finds the watchdog in the device tree already running:
#   crash    the driver adopts the DT's timeout-sec (--watchdog), the kernel refreshes it, the
#            guest panics (echo c > /proc/sysrq-trigger): svmm logs WS1 and exits 3 within the
#            timeout of the panic;
#   healthy  the guest sets a shorter timeout (sbsa_gwdt.timeout=, action=1: WS0 would panic it),
#            keeps running for more than 3 timeouts while its kernel refreshes, then powers off:
#            svmm exits 0 and never logged WS1;
#   hang     the guest's userspace takes the watchdog (/dev/watchdog) and stops writing while the
#            kernel lives on (action=1): WS0's interrupt reaches the guest, which panics with the
#            driver's message, then WS1 ends svmm with status 3.
# Every run is --watchdog $WD,boot=$WD_BOOT: the guest's kernel must load the driver within WD_BOOT s of
# power-on (a nested guest on a loaded 2-core host takes tens of seconds), then WD s hold.
# Prints "e2e-watchdog: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-watchdog
TIMEOUT=${E2E_TIMEOUT:-600}
WD=10 WD_BOOT=120
HEALTHY_S=8 # the healthy guest's own timeout; it stays up 3 x this + 1 s
mkdir -p "$T/extra/lib"
# The guest kernel's sbsa_gwdt module (not in the shared guest image): the test command inserts it.
"$ROOT/tests/machine/fetch.sh" --quiet
cp "$(ls "$BUILD"/machine/root-kernel/lib/modules/*/kernel/drivers/watchdog/sbsa_gwdt.ko* | head -n1)" "$T/extra/lib/" ||
    { echo "FAIL e2e-watchdog: no sbsa_gwdt module in the guest kernel's package"; echo "e2e-watchdog: 0 passed, 1 failed"; exit 1; }

cat > "$T/guest-cmd" <<G
HEALTHY_S=$HEALTHY_S
G
cat >> "$T/guest-cmd" <<'G'
up() { cut -d' ' -f1 /proc/uptime; }
ko=$(ls /lib/sbsa_gwdt.ko*)
case $ko in *.xz) xz -dc "$ko" > /tmp/sbsa_gwdt.ko; ko=/tmp/sbsa_gwdt.ko ;; esac
# The module's parameters come from the kernel command line (sbsa_gwdt.NAME=VALUE): pass them on.
params=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^sbsa_gwdt\.//p' | tr '\n' ' ')
insmod "$ko" $params && echo "WD loaded at uptime $(up) ($params)"
w=/sys/class/watchdog/watchdog0
echo "WD identity '$(cat $w/identity)' timeout $(cat $w/timeout) timeleft $(cat $w/timeleft) state $(cat $w/state)"
dmesg | grep -i 'sbsa-gwdt' | sed 's/^/WD dmesg /'
case $(cat /proc/cmdline) in
*wdtest=crash*)
    sleep 3
    echo "WD timeleft $(cat $w/timeleft) after 3 s"
    echo "WD crashing at uptime $(up)"
    echo c > /proc/sysrq-trigger ;;
*wdtest=healthy*)
    grep -i watchdog /proc/interrupts | sed 's/^ */WD interrupts /'
    sleep $((3 * HEALTHY_S + 1))
    echo "WD healthy at uptime $(up), timeleft $(cat $w/timeleft)" ;;
*wdtest=hang*)
    exec 3> /dev/watchdog # from now on userspace must write: it never does
    echo "WD userspace owns it at uptime $(up), state $(cat $w/state)"
    sleep 120 ;;
esac
G

cat > "$T/outer-script" <<O
WD=$WD WD_BOOT=$WD_BOOT
O
cat >> "$T/outer-script" <<'O'
cd /tmp
up() { cut -d' ' -f1 /proc/uptime; }
for name in crash healthy hang; do
    case $name in
    crash) args="wdtest=crash" ;;
    healthy) args="wdtest=healthy sbsa_gwdt.timeout=8 sbsa_gwdt.action=1" ;;
    hang) args="wdtest=hang sbsa_gwdt.timeout=4 sbsa_gwdt.action=1" ;;
    esac
    t0=$(up)
    ( /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --mem 256M --watchdog $WD,boot=$WD_BOOT \
        --name $name --append "console=ttyS0 quiet $args" < /dev/null 2> err-$name; echo $? > status-$name ) |
    while IFS= read -r line; do
        printf '[%s] %s\n' $name "$line"
        case $line in *"WD crashing at"*|*"WD userspace owns it"*) up > tcrash-$name ;; esac
    done
    t1=$(up)
    echo "[outer] $name exit $(cat status-$name) after $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s;" \
        "stop $( [ -f tcrash-$name ] && awk -v a=$(cat tcrash-$name) -v b=$t1 'BEGIN { printf "%.1f", b - a }' || echo -) s" \
        "after the guest's crash or hang"
    sed "s/^/[$name-err] /" err-$name | grep -vE 'svmm: (kernel|initrd) at|device tree'
done
O

TAG=e2e-watchdog
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"

# "[outer] NAME exit N after W s; stop S s after ...": svmm's status and seconds from the crash to its end.
exit_of() { sed -n "s/^\[outer\] $1 exit \([0-9]*\) after.*/\1/p" <<<"$LOG" | head -n1; }
stop_of() { sed -n "s/^\[outer\] $1 exit .*; stop \([0-9.]*\) s after.*/\1/p" <<<"$LOG" | head -n1; }
ws1_of() { sed -n "s/^\[$1-err\] svmm: error: VM $1: guest stopped refreshing its watchdog (WS1 after \([0-9]*\) s)$/\1/p" <<<"$LOG" | head -n1; }
crash_stop=$(stop_of crash) hang_stop=$(stop_of hang)
crash_ws1=$(ws1_of crash) hang_ws1=$(ws1_of hang)

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the guest's sbsa_gwdt found the watchdog running at probe, timeout from the DT (${WD} s)" \
    "$(grep -q "\[crash\] WD dmesg .*Initialized with ${WD}s timeout @ [0-9]* Hz, action=0. \[enabled\]" <<<"$LOG" &&
       grep -q "\[crash\] WD identity 'SBSA Generic Watchdog' timeout $WD timeleft [0-9]* state inactive" <<<"$LOG"; rc)"
check "the kernel refreshes it (timeleft stays above half the timeout)" \
    "$(t=$(sed -n 's/^\[crash\] WD timeleft \([0-9]*\) after 3 s.*/\1/p' <<<"$LOG"); [ -n "$t" ] && [ "$t" -ge $((WD / 2)) ]; rc)"
check "crash: the guest panicked (sysrq)" "$(has '^\[crash\] .*Kernel panic - not syncing: sysrq triggered crash')"
check "crash: svmm logged 'VM crash: guest stopped refreshing its watchdog (WS1 after ${crash_ws1:-?} s)', $WD..$((WD + 2))" \
    "$([ -n "$crash_ws1" ] && [ "$crash_ws1" -ge $WD ] && [ "$crash_ws1" -le $((WD + 2)) ]; rc)"
check "crash: the lifecycle's FAIL op, svmm exited 3" "$(is [ "$(exit_of crash)" = 3 ])"
check "crash: svmm ended within the timeout of the panic (${crash_stop:-?} s <= $WD + 3)" \
    "$(awk -v s="${crash_stop:-999}" -v m=$((WD + 3)) 'BEGIN { exit !(s <= m) }'; rc)"
check "healthy: the guest's own timeout (${HEALTHY_S} s) and WS0 interrupt registered (action=1)" \
    "$(grep -q "\[healthy\] WD identity 'SBSA Generic Watchdog' timeout $HEALTHY_S " <<<"$LOG" &&
       grep -qE '^\[healthy\] WD interrupts .*watchdog' <<<"$LOG"; rc)"
check "healthy: the guest ran past 3 timeouts and powered off, svmm exited 0" \
    "$(grep -q '^\[healthy\] WD healthy at uptime' <<<"$LOG" && [ "$(exit_of healthy)" = 0 ]; rc)"
check "healthy: no WS1, no watchdog panic" \
    "$(! grep -qE '^\[healthy(-err)?\] .*(WS1|SBSA Generic Watchdog timeout)' <<<"$LOG"; rc)"
check "hang: WS0's interrupt reached the guest (the driver's panic, action=1)" \
    "$(has '^\[hang\] .*Kernel panic - not syncing: SBSA Generic Watchdog timeout')"
check "hang: then WS1 (after ${hang_ws1:-?} s: 2 x 4 s), svmm exited 3 (${hang_stop:-?} s after userspace took it)" \
    "$([ -n "$hang_ws1" ] && [ "$hang_ws1" -ge 8 ] && [ "$hang_ws1" -le 10 ] && [ "$(exit_of hang)" = 3 ]; rc)"
grep -E '^\[outer\]|WS1' <<<"$LOG"
finish "$T/log"
