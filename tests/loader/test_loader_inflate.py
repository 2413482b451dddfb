"""Our inflate (through `bhimage gunzip`) against zlib: every compression
level and strategy, sizes around the window and buffer edges, multi-member
files; and `bhimage sha256` against hashlib."""
import gzip
import hashlib
import os
import random
import subprocess
import zlib
import pytest
from loaderlib import BHIMAGE, bhimage


def corpus():
    rnd = random.Random(5)
    text = b"".join(b"line %d: the quick brown fox %s\n" % (i, b"z" * rnd.randrange(40))
                    for i in range(20000))
    return {
        "empty": b"",
        "byte": b"x",
        "text": text,
        "random": rnd.randbytes(300000),
        "zeros": bytes(2_000_000),
        "mixed": text[:100000] + rnd.randbytes(70000) + bytes(40000) + text,
        "edges": b"ab" * 16384 + rnd.randbytes(32768) + b"ab" * 65537,
    }


@pytest.mark.parametrize("level", [0, 1, 6, 9])
@pytest.mark.parametrize("strategy", ["default", "filtered", "huffman", "rle", "fixed"])
def test_levels_and_strategies(tmp_path, level, strategy):
    st = {"default": zlib.Z_DEFAULT_STRATEGY, "filtered": zlib.Z_FILTERED,
          "huffman": zlib.Z_HUFFMAN_ONLY, "rle": zlib.Z_RLE, "fixed": zlib.Z_FIXED}[strategy]
    for name, data in corpus().items():
        c = zlib.compressobj(level, zlib.DEFLATED, 31, 9, st)
        path = tmp_path / (name + ".gz")
        path.write_bytes(c.compress(data) + c.flush())
        r = subprocess.run([BHIMAGE, "gunzip", str(path)], capture_output=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout == data, name


def test_multi_member_and_header_fields(tmp_path):
    a, b = os.urandom(1000), b"hello " * 1000
    member = bytearray(gzip.compress(b, mtime=0))
    # FEXTRA, FNAME, FCOMMENT, FHCRC set by hand on the second member
    hdr = bytearray(b"\x1f\x8b\x08\x1e\0\0\0\0\0\xff") + b"\x03\0abc" + b"name\0" + b"comment\0"
    crc = zlib.crc32(bytes(hdr)) & 0xffff
    hdr += bytes([crc & 0xff, crc >> 8])
    data = gzip.compress(a) + bytes(hdr) + bytes(member[10:])
    path = tmp_path / "m.gz"
    path.write_bytes(data)
    r = subprocess.run([BHIMAGE, "gunzip", str(path)], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == a + b


def test_sha256(tmp_path):
    data = os.urandom(1234567)
    path = tmp_path / "f"
    path.write_bytes(data)
    r = bhimage("sha256", str(path))
    assert r.stdout.strip() == hashlib.sha256(data).hexdigest()
