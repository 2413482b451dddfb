#!/bin/sh
# Runs busybox's own testsuite for one applet as Debian's build runs it
# (debian/rules: ./runtest in testsuite/ with its TESTSUITE_ENV), verbose,
# as root, in a clean environment, killed after SECONDS.  The whole log
# goes to /tmp/compat/APPLET.log; stdout gets its PASS:/FAIL:/SKIPPED:/
# UNTESTED: lines and "rc N" (runtest's status; 137 when killed).
# Runs in the host partition's shell and in a Linux chroot of the same
# root image (tests/compat/compat.py).
#   /compat/run1.sh SECONDS APPLET
secs=$1 applet=$2
log=/tmp/compat/$applet.log
mkdir -p /tmp/compat
cd /compat/testsuite || exit 1
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root SHELL=/bin/sh \
	SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8 ECHO=/bin/echo \
	timeout -s KILL "$secs" ./runtest -v "$applet" >"$log" 2>&1 </dev/null
echo "rc $?"
grep -E '^(PASS|FAIL|SKIPPED|UNTESTED):' "$log"
