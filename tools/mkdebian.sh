#!/bin/sh
# Builds debian:bookworm, a real Debian image from Debian's archive, for the
# tests of dynamically linked programs in containers (tests/guest/test_debian.py):
# mmdebstrap's minbase of bookworm plus Debian's musl (its loader
# /lib/ld-musl-x86_64.so.1), without docs, man pages and locales; a second
# layer holds the given test programs under /opt/bh/.  umoci makes it an OCI
# image (Cmd ["bash"]), skopeo writes it as a docker-archive.
#   tools/mkdebian.sh OUTDIR [PROGRAM:PATH-UNDER-/opt/bh]...
# gives OUTDIR/debian.tar and OUTDIR/rootfs, the image's tree as umoci
# unpacks it (what Linux runs the same commands in, chrooted).  OUTDIR/key is
# the sha256 of this script and the programs: an OUTDIR with the same key is
# left as it is; OUTDIR/minbase.tar, mmdebstrap's tarball, is kept while this
# script is the same (a bookworm minbase takes minutes to fetch and unpack).
set -e
out=$1
shift
key=$( (cat "$0"; for p in "$@"; do echo "$p"; cat "${p%%:*}"; done) | sha256sum | cut -d' ' -f1)
[ -f "$out/key" ] && [ "$(cat "$out/key")" = "$key" ] && [ -f "$out/debian.tar" ] && exit 0
base=$(sha256sum < "$0" | cut -d' ' -f1)
mkdir -p "$out"
rm -rf "$out/key" "$out/debian.tar" "$out/rootfs"
if ! [ -f "$out/minbase.key" ] || [ "$(cat "$out/minbase.key")" != "$base" ]; then
	rm -f "$out/minbase.tar" "$out/minbase.key"
	mmdebstrap -q --variant=minbase --include=musl --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm "$out/minbase.tar"
	echo "$base" > "$out/minbase.key"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mkdebian.XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/img" >/dev/null
umoci new --image "$work/img:bookworm" >/dev/null
umoci unpack --image "$work/img:bookworm" "$work/bundle" >/dev/null
tar -C "$work/bundle/rootfs" -xf "$out/minbase.tar"
umoci repack --image "$work/img:bookworm" "$work/bundle" >/dev/null
for p in "$@"; do
	mkdir -p "$(dirname "$work/bundle/rootfs/opt/bh/${p#*:}")"
	cp "${p%%:*}" "$work/bundle/rootfs/opt/bh/${p#*:}"
done
[ $# = 0 ] || umoci repack --image "$work/img:bookworm" "$work/bundle" >/dev/null
umoci config --image "$work/img:bookworm" --config.cmd bash \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
skopeo copy -q oci:"$work/img":bookworm docker-archive:"$out/debian.tar":debian:bookworm
mv "$work/bundle/rootfs" "$out/rootfs"
echo "$key" > "$out/key"
