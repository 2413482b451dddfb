"""Hostile images, generated here (tar layers written with tarfile, layouts
by hand): each must fail with its clear error, write nothing outside the
destination, and leave no destination (nor staging folder) behind."""
import gzip
import hashlib
import io
import json
import os
import tarfile
import zlib
import pytest
from loaderlib import (GZIP_MT, TAR_MT, bhimage, blob_path, make_tar, manifest_of, oci_layout,
                      sha)


@pytest.fixture
def env(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("precious")
    return tmp_path


def escape_to(env):
    """A relative symlink target from dest/ that climbs to env/outside."""
    return "../" * 8 + str(env / "outside").lstrip("/")


def unpack_fails(env, image, message, *opts):
    dest = env / "dest"
    r = bhimage("unpack", *opts, str(image), str(dest))
    assert r.returncode != 0, "unpack should have failed:\n" + r.stderr
    assert message in r.stderr, r.stderr
    assert "bhimage: error:" in r.stderr
    assert not dest.exists(), "destination left behind"
    assert sorted(p.name for p in env.iterdir()) == sorted(
        n for n in ["img", "outside", "docker.tar"] if (env / n).exists()), list(env.iterdir())
    assert sorted(p.name for p in (env / "outside").iterdir()) == ["victim"]
    assert (env / "outside" / "victim").read_text() == "precious"
    return r.stderr


def layout(env, *layer_entries, comp="gzip", **kw):
    img = env / "img"
    oci_layout(str(img), [(make_tar(e), comp) for e in layer_entries], **kw)
    return img


F = {"name": "ok", "data": b"fine"}


@pytest.mark.parametrize("entries,message", [
    ([{"name": "../evil", "data": b"x"}], "'..'"),
    ([{"name": "a/../../evil", "data": b"x"}], "'..'"),
    ([F, {"name": "h", "type": "hard", "link": "../../outside/victim"}], "'..'"),
    ([F, {"name": "h", "type": "hard", "link": "nothere"}], "does not exist"),
    ([{"name": "d", "type": "dir"}, {"name": "h", "type": "hard", "link": "d"}], "directory"),
    ([F, {"name": "../.wh.victim"}], "'..'"),
    ([{"name": "x" * 5000, "data": b"x"}], "longer than"),
], ids=["dotdot", "dotdot-nested", "hardlink-out", "hardlink-missing", "hardlink-dir",
        "whiteout-out", "path-too-long"])
def test_bad_entries(env, entries, message):
    err = unpack_fails(env, layout(env, entries), message)
    assert "layer 1 (sha256:" in err and ("entry '" in err or "tar: " in err)


@pytest.mark.parametrize("second", [
    [{"name": "esc/pwned", "data": b"x"}],
    [{"name": "esc/.wh.victim"}],
    [{"name": "h", "type": "hard", "link": "esc/victim"}],
    [{"name": "esc/sub", "type": "dir"}],
], ids=["write-through", "whiteout-through", "hardlink-through", "mkdir-through"])
def test_symlink_planted_by_earlier_layer(env, second):
    first = [{"name": "esc", "type": "sym", "link": escape_to(env)}]
    err = unpack_fails(env, layout(env, first, second), "leads outside the root")
    assert "layer 2" in err


def test_symlink_same_layer(env):
    unpack_fails(env, layout(env, [{"name": "esc", "type": "sym", "link": escape_to(env)},
                                   {"name": "esc/pwned", "data": b"x"}]), "outside the root")


def test_absolute_symlink_stays_inside(env):
    target = str(env / "outside")
    img = layout(env, [{"name": "esc", "type": "sym", "link": target}],
                 [{"name": "esc/pwned", "data": b"x"}])
    dest = env / "dest"
    r = bhimage("unpack", str(img), str(dest))
    assert r.returncode == 0, r.stderr
    assert (dest / target.lstrip("/") / "pwned").read_bytes() == b"x"
    assert sorted(p.name for p in (env / "outside").iterdir()) == ["victim"]


def rewrite_layer_blob(img, change):
    """Replaces layer 1's blob by change(blob) without fixing its descriptor."""
    path = blob_path(str(img), manifest_of(str(img))["layers"][0])
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(change(data))


def test_digest_mismatch(env):
    img = layout(env, [F])
    rewrite_layer_blob(img, lambda d: d[:-9] + bytes([d[-9] ^ 0xff]) + d[-8:])
    unpack_fails(env, img, "digest mismatch")


def test_size_mismatch(env):
    img = layout(env, [F])
    rewrite_layer_blob(img, lambda d: d + b"\0")
    unpack_fails(env, img, "larger than")


def gz_layer(env, blob, diff=b""):
    img = env / "img"
    oci_layout(str(img), [(blob, GZIP_MT, "sha256:" + sha(diff))])
    return img


def test_truncated_gzip(env):
    gz = gzip.compress(make_tar([{"name": "f", "data": os.urandom(5000)}]))
    unpack_fails(env, gz_layer(env, gz[:len(gz) // 2]), "truncated")


def test_bad_crc(env):
    gz = bytearray(gzip.compress(make_tar([F])))
    gz[-8] ^= 0x55
    unpack_fails(env, gz_layer(env, bytes(gz)), "CRC mismatch")


def test_gzip_bomb(env):
    info = tarfile.TarInfo("zeros")
    info.size = 256 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(info.tobuf(format=tarfile.PAX_FORMAT))]
    chunk = bytes(1 << 20)
    for _ in range(256):
        parts.append(c.compress(chunk))
    parts.append(c.compress(bytes(1024)) + c.flush())
    unpack_fails(env, gz_layer(env, b"".join(parts)), "compression bomb")


def test_deep_json(env):
    unpack_fails(env, layout(env, [F], raw_config=b"[" * 5000 + b"]" * 5000), "nesting too deep")


def test_missing_blob(env):
    img = layout(env, [F])
    os.unlink(blob_path(str(img), manifest_of(str(img))["layers"][0]))
    unpack_fails(env, img, "missing")


def test_zstd(env):
    unpack_fails(env, layout(env, [F], comp="zstd"), "unsupported compression zstd")


def test_no_amd64(env):
    img = layout(env, [F])
    with open(img / "index.json") as f:
        index = json.load(f)
    index["manifests"][0]["platform"] = {"os": "linux", "architecture": "arm64"}
    with open(img / "index.json", "w") as f:
        json.dump(index, f)
    unpack_fails(env, img, "no linux/amd64 manifest")


def test_bad_tar_checksum(env):
    tar = bytearray(make_tar([F]))
    tar[0] ^= 1
    img = env / "img"
    oci_layout(str(img), [(bytes(tar), TAR_MT, "sha256:" + sha(tar))])
    unpack_fails(env, img, "bad header checksum")


@pytest.mark.parametrize("opt,value,message", [
    ("--max-entries", "2", "more than 2 entries"),
    ("--max-bytes", "4K", "limit"),
])
def test_limits(env, opt, value, message):
    img = layout(env, [{"name": "f%d" % i, "data": b"y" * 3000} for i in range(5)])
    unpack_fails(env, img, message, opt, value)


def docker_tar(env, layer_tar, diff_id):
    cfg = json.dumps({"os": "linux", "architecture": "amd64", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    files = {"manifest.json": json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": ["t:1"],
                                           "Layers": ["l/layer.tar"]}]).encode(),
             sha(cfg) + ".json": cfg, "l/layer.tar": layer_tar, "repositories": b"{}"}
    path = env / "docker.tar"
    with tarfile.open(path, "w") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return path


def test_docker_archive_ok(env):
    layer = make_tar([F])
    r = bhimage("unpack", str(docker_tar(env, layer, "sha256:" + sha(layer))), str(env / "dest"))
    assert r.returncode == 0, r.stderr
    assert (env / "dest" / "ok").read_bytes() == b"fine"


def test_docker_archive_diff_id_mismatch(env):
    layer = make_tar([F])
    unpack_fails(env, docker_tar(env, layer, "sha256:" + sha(b"other")), "digest mismatch")
