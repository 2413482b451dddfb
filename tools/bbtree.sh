#!/bin/sh
# Fills ROOTFS with Debian's busybox-static, a link per applet but the
# APPLET-PATHs given (tools/mkroot.sh brings its own sbin/init), the usual
# folders and root's /etc/passwd and /etc/group.  Used by
# tools/mkroot.sh (the host root image) and tools/mkbusybox.sh (busybox:latest).
#   tools/bbtree.sh ROOTFS [APPLET-PATH ...]
set -e
r=$1
shift
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/proc" "$r/dev" "$r/tmp" "$r/root"
chmod 1777 "$r/tmp"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list-full); do
	for skip in "$@"; do [ "$a" = "$skip" ] && continue 2; done
	[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\n' > "$r/etc/group"
