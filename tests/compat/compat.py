"""make compat: busybox's own testsuite on Bulkhead against Linux.

The testsuite of Debian's busybox source package (fetched by
tools/fetch-src.sh, Debian's patches applied) sits at /compat in a root
image of its own, build/compat/root.tar (tests/compat/compat.mk); the
binary under test is that image's /bin/busybox, Debian's busybox-static.
/compat/run1.sh runs `runtest -v APPLET` for one applet at a time, first in
a Linux chroot of the same image on this machine, then in Bulkhead's host
partition under QEMU.  Every case that passes on Linux must pass on
Bulkhead.  A case listed in tests/compat/KNOWN.md (with its cause) is
reported as known; any other difference fails the run.  The last line is
`N passed, N failed`: cases passing on both, and cases passing on Linux only.

    python3 tests/compat/compat.py [--linux-only] [APPLET ...]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))

BUILD = os.path.join(ROOT, "build")
COMPAT = os.path.join(BUILD, "compat")
TESTSUITE = os.path.join(COMPAT, "tree", "compat", "testsuite")
KNOWN = os.path.join(HERE, "KNOWN.md")
RESULT = re.compile(r"^(PASS|FAIL|SKIPPED|UNTESTED): (.*)$")

# Per applet: the guest's time-out grows with the applet's time on Linux
# (QEMU's software CPU is some 30-60 times slower).  bc pipes some 50 MB,
# written a line at a time, through bc | bc | md5sum: 5 minutes alone, 20 on
# a machine shared with three other QEMUs; the cap leaves it room.
TIMEOUT_BASE, TIMEOUT_SCALE, TIMEOUT_MAX = 120, 80, 2400

# Guests running the testsuite side by side (one QEMU thread each): one per CPU.
SHARDS = int(os.environ.get("COMPAT_JOBS") or os.cpu_count() or 1)

# The chroot's /dev: the nodes the guest kernel's devfs has (guest/devfs.c).
DEV_NODES = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
             ("urandom", 1, 9), ("tty", 5, 0), ("console", 5, 1)]
DEV_LINKS = [("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
             ("stderr", "/proc/self/fd/2"), ("fd", "/proc/self/fd")]


def applets():
    """Every applet the testsuite has tests for: NAME.tests and NAME/."""
    names = set()
    for n in os.listdir(TESTSUITE):
        if n.endswith(".tests"):
            names.add(n[:-len(".tests")])
        elif os.path.isdir(os.path.join(TESTSUITE, n)):
            names.add(n)
    return sorted(names)


def parse(applet, text):
    """{case key: status} from run1.sh's output.  A key is "APPLET: NAME";
    a name seen again in the same applet gets " #2", " #3", ..."""
    out, rc = {}, None
    for line in text.splitlines():
        if line.startswith("rc "):
            rc = line[3:].strip()  # runtest's status, 137 (killed) or "hang"
        m = RESULT.match(line)
        if not m:
            continue
        key, n = f"{applet}: {m.group(2).rstrip()}", 2
        while key in out:
            key, n = f"{applet}: {m.group(2).rstrip()} #{n}", n + 1
        out[key] = m.group(1)
    return out, rc


def known_cases():
    """{case key: cause}: the `APPLET: NAME` entries under each '## cause' of KNOWN.md."""
    known, cause = {}, None
    if not os.path.exists(KNOWN):
        return known
    for line in open(KNOWN):
        if line.startswith("## "):
            cause = line[3:].strip()
        m = re.match(r"^- `(.+)`\s*$", line)
        if m and cause:
            known[m.group(1)] = cause
    return known


class Linux:
    """The image unpacked (umoci) under build/compat/linux; each applet runs
    in its own mount, UTS, IPC and PID namespaces, chrooted, with /proc, a
    /dev like the guest's and the host name the guest has."""

    def __init__(self, image):
        self.bundle = os.path.join(COMPAT, "linux")
        shutil.rmtree(self.bundle, ignore_errors=True)
        img = os.path.join(COMPAT, "linux-img")
        shutil.rmtree(img, ignore_errors=True)
        os.makedirs(img)
        subprocess.run(["tar", "-C", img, "-xf", image], check=True)
        subprocess.run(["umoci", "unpack", "--image", img + ":latest", self.bundle],
                       check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(img)
        self.root = os.path.join(self.bundle, "rootfs")
        dev = [f"mknod -m 666 $R/dev/{n} c {a} {b}" for n, a, b in DEV_NODES]
        dev += [f"ln -s {t} $R/dev/{n}" for n, t in DEV_LINKS]
        self.setup = " && ".join(["mount -t proc proc $R/proc", "mount -t tmpfs dev $R/dev"] + dev +
                                 ["mkdir -m 1777 $R/dev/shm", "hostname bulkhead"])

    def run(self, applet, secs):
        cmd = ["unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "--propagation", "private",
               "sh", "-c", self.setup + ' && chroot "$R" /bin/sh /compat/run1.sh "$1" "$2"',
               "sh", str(secs), applet]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               errors="replace", timeout=secs + 60, env={"R": self.root, "PATH": os.environ["PATH"]})
            return r.stdout
        except subprocess.TimeoutExpired as e:
            return (e.stdout or b"").decode(errors="replace") + "\nrc 137\n"

    def log(self, applet):
        path = os.path.join(self.root, "tmp", "compat", applet + ".log")
        if not os.path.exists(path):
            return "<no log>\n"
        with open(path, errors="replace") as f:
            return f.read()


class Bulkhead:
    """The host partition booted under QEMU from build/compat/esp (build/esp
    with the compat root image); booted again after an applet hangs it.
    Several run side by side (SHARDS), each a guest of its own."""

    def __init__(self, image, shard=0):
        self.esp = os.path.join(COMPAT, "esp")
        if shard == 0:
            shutil.rmtree(self.esp, ignore_errors=True)
            shutil.copytree(os.path.join(BUILD, "esp"), self.esp)
            shutil.copy(image, os.path.join(self.esp, "root.tar"))
        self.shard, self.sh, self.boots = shard, None, 0

    def shell(self):
        from shell import Shell
        if self.sh is None:
            self.boots += 1
            self.sh = Shell(f"compat-{self.shard}-{self.boots}", esp=self.esp)
        return self.sh

    def run(self, applet, secs):
        try:
            return self.shell().run(f"/compat/run1.sh {secs} {applet}", timeout=secs + 120)
        except AssertionError as e:
            print(f"compat: {applet}: the guest stopped answering; booting again\n{str(e)[-1500:]}", flush=True)
            self.close()
            return "rc hang\n"

    def log(self, applet):
        try:
            return self.shell().run(f"cat /tmp/compat/{applet}.log", timeout=300)
        except AssertionError:
            self.close()
            return "<no log: the guest stopped answering>\n"

    def close(self):
        if self.sh:
            self.sh.close()
            self.sh = None


def shards_of(shards, applet):
    """The index of the shard that ran applet."""
    return next(i for i, part in enumerate(shards) if applet in part)


def run_all(side, names, secs_of, label):
    results, rcs, times = {}, {}, {}
    t0 = time.monotonic()
    for a in names:
        t = time.monotonic()
        out = side.run(a, secs_of(a))
        times[a] = time.monotonic() - t
        res, rc = parse(a, out)
        rcs[a] = rc or "none"
        results.update(res)
        if rc in ("137", "hang"):
            print(f"compat: {label}: {a}: {'killed' if rc == '137' else 'no answer'} after {times[a]:.0f} s", flush=True)
    print(f"compat: {label}: {len(names)} applets, {len(results)} cases, "
          f"{sum(1 for s in results.values() if s == 'PASS')} pass, {time.monotonic() - t0:.0f} s", flush=True)
    return results, rcs, times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--linux-only", action="store_true", help="run the Linux chroot only")
    ap.add_argument("applets", nargs="*", help="these applets only (default: all)")
    args = ap.parse_args()
    image = os.path.join(COMPAT, "root.tar")
    names = args.applets or applets()
    report = []

    def say(line=""):
        print(line, flush=True)
        report.append(line)

    linux = Linux(image)
    want, lrc, ltime = run_all(linux, names, lambda a: 600, "linux")
    lpass = [k for k, s in want.items() if s == "PASS"]
    if args.linux_only:
        for k, s in want.items():
            print(f"{s}: {k}")
        return 0
    if not lpass:
        print("compat: no case passes on Linux: the chroot is broken")
        return 1

    # The applets, longest on Linux first, dealt to SHARDS guests so that
    # each gets about the same time; each guest runs its share in a thread.
    shards = [[] for _ in range(SHARDS)]
    load = [0.0] * SHARDS
    for a in sorted(names, key=lambda a: -ltime[a]):
        i = load.index(min(load))
        shards[i].append(a)
        load[i] += ltime[a] + 1
    bhs = [Bulkhead(image, i) for i in range(SHARDS)]
    parts = [None] * SHARDS
    t0 = time.monotonic()

    def run_shard(i):
        parts[i] = run_all(bhs[i], shards[i], lambda a: min(TIMEOUT_MAX, TIMEOUT_BASE + int(TIMEOUT_SCALE * ltime[a])),
                           f"bulkhead {i}")
    try:
        threads = [threading.Thread(target=run_shard, args=(i,)) for i in range(SHARDS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        got, brc, btime = {}, {}, {}
        for part in parts:
            if part is None:
                print("compat: a guest's run ended in an error (above)")
                return 1
            got.update(part[0])
            brc.update(part[1])
            btime.update(part[2])
        failed = [k for k in lpass if got.get(k) != "PASS"]
        logs = {}
        for a in sorted({k.split(": ", 1)[0] for k in failed}):
            logs[a] = bhs[shards_of(shards, a)].log(a)
    finally:
        for bh in bhs:
            bh.close()

    known = known_cases()
    shutil.rmtree(os.path.join(COMPAT, "logs"), ignore_errors=True)
    os.makedirs(os.path.join(COMPAT, "logs"))
    for a, text in logs.items():
        with open(os.path.join(COMPAT, "logs", a + ".bulkhead.log"), "w") as f:
            f.write(text)
        with open(os.path.join(COMPAT, "logs", a + ".linux.log"), "w") as f:
            f.write(linux.log(a))
    new = [k for k in failed if k not in known]
    say(f"busybox testsuite: {len(want)} cases on Linux ({len(lpass)} pass), "
        f"{len(got)} on Bulkhead; Bulkhead took {took:.0f} s in {sum(b.boots for b in bhs)} boot(s) "
        f"of {SHARDS} guests side by side")
    slow = sorted(btime, key=btime.get, reverse=True)[:5]
    say("slowest on Bulkhead: " + ", ".join(f"{a} {btime[a]:.0f} s" for a in slow))
    for k in failed:
        a = k.split(": ", 1)[0]
        why = f"known: {known[k]}" if k in known else "NEW"
        say(f"DIFF: {k}: Linux PASS, Bulkhead {got.get(k, 'missing (rc ' + str(brc.get(a)) + ')')} [{why}]")
    for k in sorted(set(known) - set(failed)):
        if got.get(k) == "PASS":
            say(f"FIXED: {k}: passes now; take it out of tests/compat/KNOWN.md")
    extra = [k for k, s in got.items() if s == "PASS" and want.get(k) != "PASS"]
    for k in extra:
        say(f"NOTE: {k}: passes on Bulkhead, Linux {want.get(k, 'missing')}")
    if failed:
        say(f"logs: {os.path.relpath(os.path.join(COMPAT, 'logs'), ROOT)}/APPLET.{{linux,bulkhead}}.log")
    say(f"{len(failed) - len(new)} of the differences are known (tests/compat/KNOWN.md), {len(new)} new")
    say(f"{len(lpass) - len(failed)} passed, {len(failed)} failed")
    with open(os.path.join(COMPAT, "report.txt"), "w") as f:
        f.write("\n".join(report) + "\n")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
