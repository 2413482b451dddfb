#!/bin/sh
# Fetches Debian's busybox source package, the one the installed
# busybox-static was built from, and unpacks it with Debian's patches
# applied (dpkg-source -x) into DIR/busybox.  apt reads a private deb-src
# list under DIR/apt: the system's apt configuration is left alone.
# Does nothing when DIR/busybox is already there.  Host tool.
#   tests/compat/fetch.sh DIR
set -e
dir=$1
[ -n "$dir" ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ -f "$dir/busybox/testsuite/runtest" ] && exit 0
ver=$(dpkg-query -W -f='${source:Version}' busybox-static)
mkdir -p "$dir/apt/etc" "$dir/apt/lists/partial"
dir=$(cd "$dir" && pwd)
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$dir/apt/etc/src.sources"
else
	sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$dir/apt/etc/src.list"
fi
APT="-q -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=$dir/apt/etc -o Dir::State::Lists=$dir/apt/lists"
log=$dir/fetch.log
# apt checked the files against the signed Release; dpkg-source has no keyring.
{ apt-get $APT update && (cd "$dir" && apt-get $APT source --download-only "busybox=$ver") &&
  rm -rf "$dir/busybox.tmp" && dpkg-source -x "$dir/busybox_${ver#*:}.dsc" "$dir/busybox.tmp"
} >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
mv "$dir/busybox.tmp" "$dir/busybox"
echo "compat: busybox $ver unpacked in $dir/busybox"
