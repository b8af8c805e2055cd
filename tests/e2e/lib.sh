# Shared by the end-to-end scripts (source it): result lines and log matching.
#   TAG=...; LOG=$(...); check "what" "$(has 'regex')"; ...; finish   (exits non-zero on failure)
passed=0 failed=0

# check NAME RESULT: RESULT 0 is a pass; prints "ok   TAG: NAME" or "FAIL TAG: NAME".
check() {
    if [ "$2" = 0 ]; then echo "ok   $TAG: $1"; passed=$((passed + 1)); else echo "FAIL $TAG: $1"; failed=$((failed + 1)); fi
}

# has REGEX: 0 when the log ($LOG) matches the extended regex.
has() { grep -qE "$1" <<<"$LOG"; echo $?; }

# is COMMAND...: 0 when the test command succeeds, e.g. check "exit 0" "$(is [ $status = 0 ])".
is() { "$@"; echo $?; }

# The guest's kernel uptime when its init started (printed by tests/machine/guest-init.sh).
boot_to_init() { sed -n 's/.*\[guest-init\] init reached at uptime \([0-9.]*\) s.*/\1/p' <<<"$LOG" | tail -n1; }

# finish [LOGFILE]: the summary line the test runner adds up; exit status for the tier.
finish() {
    [ $failed = 0 ] || [ -z "${1:-}" ] || echo "$TAG: log in $1"
    echo "$TAG: $passed passed, $failed failed"
    [ $failed = 0 ]
}
