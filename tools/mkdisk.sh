#!/bin/sh
# mkdisk.sh ESPDIR IMG: a FAT32 image (no partition table) holding the ESP tree.
# OVMF, Bochs and real firmware boot EFI/BOOT/BOOTX64.EFI from it; dd it to a USB stick.
# Needs only mtools and dosfstools: no root, no mount.  Reproducible: mkfs --invariant
# (fixed volume id), files added in sorted order, timestamps from SOURCE_DATE_EPOCH.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 ESPDIR IMG" >&2; exit 2; }
esp=$1 img=$2
[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || { echo "mkdisk: $esp/EFI/BOOT/BOOTX64.EFI missing" >&2; exit 1; }
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-946684800}" # 2000-01-01, for mtools
export MTOOLS_SKIP_CHECK=1 LC_ALL=C

# Size: content + 1/8 + 16 MiB, rounded up to MiB, at least 64 MiB (FAT32 wants >= ~33).
kib=$(du -sk --apparent-size "$esp" | cut -f1)
mib=$(( (kib + kib / 8) / 1024 + 16 ))
[ "$mib" -ge 64 ] || mib=64

mkdir -p "$(dirname "$img")"
rm -f "$img"
mkfs.vfat -F 32 -n BULKHEAD --invariant -C "$img" $((mib * 1024)) >/dev/null

# Directories first (sorted, so parents precede children), then files, sorted.
(cd "$esp" && find . -mindepth 1 -type d | sort) | while read -r d; do
	mmd -i "$img" "::${d#./}"
done
(cd "$esp" && find . -type f | sort) | while read -r f; do
	mcopy -i "$img" "$esp/${f#./}" "::${f#./}"
done
echo "mkdisk: $img (${mib} MiB FAT32)"
