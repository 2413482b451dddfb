#!/bin/sh
# Builds the busybox:latest container image that `make run` preloads:
# Debian's busybox-static with a link per applet, Cmd ["sh"], made by umoci
# and written by skopeo as a docker-archive (what `docker save` writes).
#   tools/mkbusybox.sh OUT.tar
set -e
out=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/mkbusybox.XXXXXX")
trap 'rm -rf "$work"' EXIT
umoci init --layout "$work/img" >/dev/null
umoci new --image "$work/img:latest" >/dev/null
umoci unpack --image "$work/img:latest" "$work/bundle" >/dev/null
sh "$(dirname "$0")/bbtree.sh" "$work/bundle/rootfs"
umoci repack --image "$work/img:latest" "$work/bundle" >/dev/null
umoci config --image "$work/img:latest" --config.cmd sh \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
rm -f "$out.tmp"
skopeo copy -q oci:"$work/img":latest docker-archive:"$out.tmp":busybox:latest
mv "$out.tmp" "$out"
