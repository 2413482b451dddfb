#!/bin/sh
# Installs the Debian packages the build, the runners and the tests need.
# Skips apt entirely when everything is already there; runs as root or via sudo.
set -e
PKGS="gcc make binutils python3 gnu-efi ovmf qemu-system-x86 mtools dosfstools
      bochs bochsbios vgabios musl-tools busybox-static umoci skopeo
      python3-pytest python3-pytest-xdist python3-pexpect clang llvm libclang-rt-14-dev time dpkg-dev python3-docker docker-compose
      docker-registry golang-go mmdebstrap"
# The Docker CLI (for the host partition, and for the Engine API tests over
# TCP): the build machine's static client, else Debian's.
[ -x /usr/local/bin/docker ] || command -v docker >/dev/null 2>&1 || PKGS="$PKGS docker.io"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
