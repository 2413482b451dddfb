#!/bin/sh
# Builds the host partition's root image: an OCI image (umoci) holding
# Debian's busybox-static with a link per applet, guest/root/ (init and
# etc/), and any extra files given as SRC:DEST pairs; packed as one tar of
# the OCI layout, which the guest kernel's image loader unpacks at boot.
#   tools/mkroot.sh OUT.tar [SRC:DEST ...]
set -e
out=$1
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/mkroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/img" >/dev/null
umoci new --image "$work/img:latest" >/dev/null
umoci unpack --image "$work/img:latest" "$work/bundle" >/dev/null
r=$work/bundle/rootfs
sh "$(dirname "$0")/bbtree.sh" "$r" sbin/init
here=$(dirname "$0")/../guest/root
install -m 755 "$here/init" "$r/sbin/init"
printf 'bulkhead\n' > "$r/etc/hostname"
cp -R "$here/etc/." "$r/etc/"   # hosts, services, resolv.conf...
for pair in "$@"; do
	src=${pair%%:*}
	dst=$r/${pair#*:}
	mkdir -p "$(dirname "$dst")"
	cp -a "$src" "$dst"
done
# The bulkhead tool's worker is the same program under another name.
if [ -e "$r/usr/bin/bulkhead" ]; then
	mkdir -p "$r/usr/libexec"
	ln -sf /usr/bin/bulkhead "$r/usr/libexec/vmwp"
fi
# The Docker CLI is the boot module docker (tools/bulkhead.cfg), run from
# the module's own pages; without that module there is no `docker`.
ln -sf /boot/images/docker "$r/usr/bin/docker"
umoci repack --image "$work/img:latest" "$work/bundle" >/dev/null
umoci config --image "$work/img:latest" --config.cmd /sbin/init >/dev/null
tar -C "$work/img" -cf "$out.tmp" .
mv "$out.tmp" "$out"
