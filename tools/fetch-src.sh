#!/bin/sh
# Fetches a Debian source package and unpacks it with Debian's patches
# applied (dpkg-source -x) into DIR/NAME.  apt reads a private deb-src list
# under DIR/apt: the system's apt configuration is left alone.  Does
# nothing when DIR/NAME is already there (it appears only once complete),
# so builds work offline after the first fetch.  Host tool.
#   tools/fetch-src.sh DIR NAME [VERSION]
# busybox (tests/compat), http-parser and cjson (engine/) come this way.
set -e
dir=$1 name=$2 ver=$3
[ -n "$dir" ] && [ -n "$name" ] || { echo "usage: $0 DIR NAME [VERSION]" >&2; exit 2; }
[ -d "$dir/$name" ] && exit 0
mkdir -p "$dir/apt/etc" "$dir/apt/lists/partial"
dir=$(cd "$dir" && pwd)
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$dir/apt/etc/src.sources"
else
	sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$dir/apt/etc/src.list"
fi
APT="-q -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=$dir/apt/etc -o Dir::State::Lists=$dir/apt/lists"
log=$dir/fetch-$name.log
dl=$dir/dl-$name
# apt checked the files against the signed Release; dpkg-source has no keyring.
# The lists of an earlier fetch are tried first; apt-get update when they fail.
get() { rm -rf "$dl" && mkdir "$dl" && (cd "$dl" && apt-get $APT source --download-only "$name${ver:+=$ver}"); }
{ { [ -f "$dir/apt/lists/lock" ] && get; } || { apt-get $APT update && get; } &&
  rm -rf "$dir/$name.tmp" && dpkg-source -x "$dl"/*.dsc "$dir/$name.tmp"
} >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$dir/${name}_"*.orig.tar.*   # dpkg-source -x leaves a copy beside the tree
mv "$dir/$name.tmp" "$dir/$name"
echo "fetch-src: $name $(ls "$dl"/*.dsc | sed 's/.*_//; s/\.dsc$//') unpacked in $dir/$name"
