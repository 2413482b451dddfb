# Busybox applets and shell features, run by tests/guest/test_shell.py both in
# the host partition's shell and under Linux with the same busybox binary.
# Each case starts with a "=== name" line; outputs must match case by case.
# Nothing here may print times, PIDs or the kernel's name.
T=${T:-/tmp/bhtest}
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
c() { echo "=== $1"; }

c echo; echo hello world; echo -n no-newline; echo; echo -e 'a\tb'
c printf; printf '%s=%d [%5s] %x %o %c\n' x 42 ab 255 8 Z
c cat; printf 'one\ntwo\nthree\n' > f1; cat f1; cat -n f1
c wc; wc -l f1; wc -c < f1; wc -w f1
c head-tail; seq 1 20 > n; head -n 3 n; tail -n 2 n; head -c 5 n | od -c | head -1
c sort-uniq; printf 'b\na\nc\na\nb\n' > s; sort s; sort -r s; sort -u s; sort s | uniq -c; sort -n n | tail -1
c cut-tr; echo 'a:b:c:d' | cut -d: -f2,4; echo hello | tr a-z A-Z; echo 'aabbcc' | tr -s abc; echo abc | tr -d b
c sed; printf 'foo bar\nbaz foo\n' | sed 's/foo/X/g'; sed -n 2p f1; sed '1d' f1
c awk; printf '1 2\n3 4\n' | awk '{s += $1 * $2} END {print s, NR}'; echo a,b,c | awk -F, '{print $3 $1}'
c grep; grep -n two f1; grep -c o f1; grep -v one f1; grep -E 't(wo|hree)' f1; grep -q nothing f1; echo "status $?"
c expr; expr 6 \* 7; expr length hello; expr 10 / 3; expr substr abcdef 2 3
c seq; seq 3; seq 2 2 8; seq -s, 5
c basename-dirname; basename /a/b/c.txt .txt; dirname /a/b/c.txt; basename /
c test; test 3 -gt 2 && echo gt; [ -d "$T" ] && echo dir; [ -f nofile ] || echo nofile; [ abc = abc ] && echo eq
c true-false; true; echo $?; false; echo $?
c mkdir-rmdir; mkdir -p d1/d2/d3; ls -R d1; rmdir d1/d2/d3; ls d1/d2; rmdir d1/d2 d1; ls
c cp-mv-rm; cp f1 f2; mv f2 f3; ls; cmp f1 f3 && echo same; rm f3; ls
c ln-readlink; ln -s f1 link1; readlink link1; cat link1 | head -1; ln f1 hard1; stat -c '%h %s' f1; rm link1 hard1
c stat; printf 12345 > sz; stat -c '%s %a %F' sz; chmod 640 sz; stat -c '%a' sz; stat -c '%F' .
c touch; touch t1; ls t1; [ -s t1 ] || echo empty
c chmod; touch x; chmod 755 x; ls -l x | cut -c1-10; chmod u-x,g=r,o= x; ls -l x | cut -c1-10
c od-hexdump; printf 'AB\001\n' | od -An -tx1; printf 'hi' | hexdump -C | head -1
c checksums; printf 'abc' | md5sum; printf 'abc' | sha1sum; printf 'abc' | sha256sum | cut -c1-16; printf abc | crc32; printf abc | sha512sum | cut -c1-16
c base64; echo 'Bulkhead!' | base64; echo QnVsa2hlYWQhCg== | base64 -d
c xargs; printf '1\n2\n3\n' | xargs echo; printf 'a b\n' | xargs -n1 echo x
c find; mkdir -p fd/a fd/b; touch fd/a/1 fd/b/2; find fd | sort; find fd -type f | sort; find fd -name 2
c tee; echo teed | tee t2 > /dev/null; cat t2
c paste-expand; printf 'a\nb\nc\n' > c1; printf 'b\nc\nd\n' > c2; paste c1 c2; printf 'a\tb\n' | expand -t 4; printf 'x    y\n' | unexpand -a -t 4 | od -An -c
c rev-fold-nl; echo abcdef | rev; echo abcdefghij | fold -w 4; nl f1
c tac; tac f1
c yes; yes hi | head -n 3
c gzip; printf 'compress me\n' > g; gzip -c g | gunzip -c; gzip g; ls g*; gunzip g.gz; cat g
c tar; mkdir -p tt/sub; echo in > tt/sub/f; tar cf t.tar tt; tar tf t.tar | sort; rm -r tt; tar xf t.tar; cat tt/sub/f
c dd; dd if=/dev/zero bs=512 count=3 2>/dev/null | wc -c; printf abcdef | dd bs=1 skip=2 count=3 2>/dev/null; echo
c devices; head -c 4 /dev/zero | od -An -tx1; echo gone > /dev/null; head -c 16 /dev/urandom | wc -c
c factor-bc; factor 360; echo '2^20 + 3*7' | bc; echo '6 7 * p' | dc
c strings-xxd; printf 'ab\001cdefgh\000xyz12345' > bin; strings bin; printf 'Hi!' | xxd
c shuf-sort; seq 5 | shuf | sort -n | tr '\n' ' '; echo
c mktemp-realpath; d=$(mktemp -d "$T/tmp.XXXXXX"); [ -d "$d" ] && echo made; realpath f1 | sed "s|$T|T|"
c cpio; echo data > cp1; echo cp1 | cpio -o -H newc 2>/dev/null | cpio -t 2>/dev/null
c bzip2; echo squeeze | bzip2 | bunzip2; echo squeeze | bzip2 | bzcat
c mkfifo; mkfifo ff; (echo through-fifo > ff &); cat ff
c uuencode; echo hi | uuencode -m x | uudecode -o /dev/stdout 2>/dev/null || echo hi | uuencode x | head -1
c dos2unix; printf 'a\r\nb\r\n' | dos2unix | od -An -c
c nproc-arch; arch; [ $(nproc) -ge 1 ] && echo cpus
c diff; printf 'a\nb\n' > d1f; printf 'a\nc\n' > d2f; diff d1f d2f > /dev/null; echo "diff $?"
c env; env -i FOO=bar env; FOO=1 sh -c 'echo $FOO'
c pipes; echo one two three | tr ' ' '\n' | sort | head -2; cat f1 | cat | cat | wc -l
c redirection; echo out > r1; echo more >> r1; cat < r1; ls nonexistent 2> err; [ -s err ] && echo err-nonempty; exec 3> fd3; echo via3 >&3; exec 3>&-; cat fd3
c heredoc; cat <<END
line $((1+2))
  indented
END
c subst; x=$(echo inner); echo "got $x"; y=`expr 2 + 3`; echo $y; echo "${#x} ${x%ner} ${x#in} ${z:-default}"
c arith; i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo $i; echo $((7 % 3)) $((2 ** 10)) $((0x10))
c functions; f() { echo "args: $# $1 $2"; return 3; }; f a b; echo $?
c loops-case; for w in a b c; do case $w in a) echo A;; b) echo B;; *) echo other;; esac; done
c subshell; (cd /; pwd); pwd | sed "s|$T|T|"; (exit 4); echo $?
c background; (sleep 0.2; echo bg) & wait; echo waited
c trap; sh -c 'trap "echo caught" USR1; kill -USR1 $$; echo after'
c exit-codes; sh -c 'exit 7'; echo $?; sh -c 'kill -TERM $$'; echo $?; nosuchcmd 2>/dev/null; echo $?
c set-e; sh -c 'set -e; false; echo not-here'; echo $?
c read; printf 'k1 v1\nk2 v2\n' | while read k v; do echo "$v=$k"; done
c ifs; IFS=:; set -- a:b:c; echo $#; IFS=' '
c sleep-timeout; sleep 0.1; echo slept; timeout 1 sleep 5; echo "timeout $?"
c which; which sh | sed 's|.*/||'; command -v ls >/dev/null && echo found
c uname; uname -s; uname -m
c pwd-cd; mkdir -p p/q; cd p/q; pwd | sed "s|$T|T|"; cd ../..; pwd | sed "s|$T|T|"
c cmp-missing; cat nofile 2>&1 | sed 's/^.*: //'
c mv-dir; mkdir md; echo z > md/f; mv md md2; cat md2/f; ls -d md*
c truncate; printf 123456789 > tr; truncate -s 4 tr; cat tr; echo; truncate -s 10 tr; wc -c < tr
c large-file; seq 1 20000 > big; wc -l big; tail -1 big; sort -rn big | head -1; md5sum big | cut -c1-32
c rm-r; mkdir -p rr/a/b; touch rr/a/b/c; rm -r rr; [ -e rr ] || echo removed
c trailing-slash; echo x > f1/; echo "status $?"; echo x > nf/; [ -e nf ] || echo not-made; cat f1/ 2>&1 | sed 's/^[^:]*: //'
c rm-rf-many; mkdir many; (cd many && seq -w 1 2000 | sed 's/^/file-with-a-long-enough-name-/' | xargs touch); rm -rf many; [ -e many ] || echo removed
c mknod; mknod cdev c 1 3; mknod bdev b 240 7; ls -l cdev bdev | awk '{print substr($1, 1, 1), $5, $6, $NF}'; echo x > cdev; echo "wrote $?"
cd /; rm -rf "$T"
echo "=== end"
