#!/bin/sh
# Overlay roots (tests/guest/test_overlay.py): /tests/overlay.sh in the host
# root image, copied into the lower tree it makes as /t.sh.
#   overlay.sh setup     a lower tree under /tmp/ovl/lower (busybox, a link
#                        per applet, files, a hard link, a 5-page file)
#   overlay.sh snap DIR  one line per entry under DIR: name, mode, size,
#                        inode, mtime, owner and the data's md5
#   t.sh c1 | c2         inside a container: write, remove, rename, copy
L=/tmp/ovl/lower
snap() {
	cd "$1" && find . | sort | while read -r f; do
		s=$(stat -c '%f %s %i %Y %u:%g' "$f")
		[ -f "$f" ] && [ ! -L "$f" ] && s="$s $(md5sum < "$f")"
		[ -L "$f" ] && s="$s $(readlink "$f")"
		echo "$f $s"
	done
}
case "$1" in
setup)
	rm -rf /tmp/ovl
	mkdir -p $L/bin $L/etc/sub $L/data/deep/er $L/proc $L/dev $L/tmp /tmp/ovl/u1 /tmp/ovl/u2 /tmp/ovl/u3 /tmp/ovl/u4
	cp /bin/busybox $L/bin/
	for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox $L/bin/$a; done
	echo original > $L/etc/motd
	echo keep > $L/etc/sub/f
	echo x > $L/data/x
	ln $L/data/x $L/data/hard
	echo deep > $L/data/deep/er/f
	dd if=/dev/urandom of=$L/data/big bs=4096 count=5 2>/dev/null
	ln -s ../etc/motd $L/data/link
	chown 7:8 $L/etc/sub/f
	touch -d '2001-02-03 04:05:06' $L/etc/motd $L/data
	cp "$0" $L/t.sh
	echo setup done ;;
snap)
	snap "$2" ;;
c1)
	i0=$(stat -c %i /etc/motd)
	echo more >> /etc/motd && cat /etc/motd
	[ "$(stat -c %i /etc/motd)" = "$i0" ] && echo ino kept
	printf AB | dd of=/data/big bs=1 seek=4097 conv=notrunc 2>/dev/null && echo big $(md5sum < /data/big)
	chmod 0600 /data/x && chown 3:4 /data/x && touch -d '1999-01-01 00:00:00' /data/x
	echo x $(stat -c '%a %u:%g %Y' /data/x) $(cat /data/x)
	rm /etc/sub/f && echo sub: $(ls -a /etc/sub)
	mv /etc /etc2 && echo moved: $(ls /etc2) $(cat /etc2/motd | tail -1) && ls /etc 2>&1
	cp -a /etc2 /etc3 && echo copied: $(cd /etc3 && find . | sort)
	(cd / && tar -cf /t.tar etc3) && mkdir /x && tar -xf /t.tar -C /x && echo untarred: $(find /x | sort)
	rm -rf /data && ls / && mkdir /data && echo opaque: $(ls -a /data)
	echo new > /newfile && ln /newfile /newlink && echo links $(stat -c %h /newfile)
	echo found: $(find / -name motd | sort)
	echo c1 done ;;
c2)
	echo c2 > /etc/motd && cat /etc/motd
	truncate -s 1 /data/big && echo big $(stat -c %s /data/big)
	rm /bin/ls && (ls / 2>&1 | head -1) && busybox ls /bin/ls 2>&1
	mv /data/deep /deep2 && echo deep: $(find /deep2 | sort) $(cat /deep2/er/f)
	rmdir /etc/sub 2>&1
	rm -rf /etc/sub && mkdir /etc/sub && echo sub: $(ls -a /etc/sub)
	mv /data/link /data/link2 && echo link: $(cat /data/link2)
	ln /data/x /data/x2 && echo y >> /data/x2 && echo hard: $(cat /data/x) $(stat -c %h /data/x)
	mkdir /bin/d && mkfifo /bin/d/p && ln -s ../busybox /bin/d/l && echo made: $(ls -F /bin/d)
	echo c2 done ;;
esac
