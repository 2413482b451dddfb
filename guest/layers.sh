#!/bin/sh
# The guest kernel's layering rule (docs/design.md, "Guest kernel layout"),
# checked on the built objects: no core object (tasks, traps, syscalls,
# memory) names a symbol that a role's object defines (the monitor and its
# commands, the host driver, the utility role, the tty).  Roles register
# with the core instead.
#   sh guest/layers.sh "CORE OBJECTS" "ROLE OBJECTS"
# Prints each offending reference; exits 1 if there is one.
set -e
core=$1
roles=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm --defined-only $roles | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort -u >"$tmp/roles"
bad=0
for o in $core; do
	nm -u "$o" | awk '{ print $NF }' | sort -u >"$tmp/used"
	for s in $(comm -12 "$tmp/used" "$tmp/roles"); do
		echo "guest layering: $o names $s, a role's symbol"
		bad=1
	done
done
[ "$bad" = 0 ] && echo "guest layering: core names no role"
exit "$bad"
