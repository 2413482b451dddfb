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
                       put_blob, sha)


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
    unpack_fails(env, docker_tar(env, layer, "sha256:" + sha(b"other")), "the config's diff_id says")


@pytest.mark.parametrize("comp", ["gzip", "none"])
def test_oci_diff_id_mismatch(env, comp):
    """An OCI layer whose blob digest is right but whose uncompressed tar is
    not what the config's rootfs.diff_ids says (the image ID names the
    config, so the tree must be the config's): refused, as Docker does."""
    tar = make_tar([F])
    blob, mt = (gzip.compress(tar, mtime=0), GZIP_MT) if comp == "gzip" else (tar, TAR_MT)
    img = env / "img"
    oci_layout(str(img), [(blob, mt, "sha256:" + sha(make_tar([{"name": "ok", "data": b"else"}])))])
    err = unpack_fails(env, img, "the config's diff_id says sha256:")
    assert "its uncompressed content is sha256:" + sha(tar) in err


def test_oci_diff_ids_count(env):
    img = env / "img"
    tar = make_tar([F])
    oci_layout(str(img), [(tar, TAR_MT, "sha256:" + sha(tar)), (tar, TAR_MT, "sha256:" + sha(tar))],
               raw_config=json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
                   "type": "layers", "diff_ids": ["sha256:" + sha(tar)]}}).encode())
    unpack_fails(env, img, "lists 1 diff_ids for 2 layers")


# ---- a document that is both a manifest and an index (CVE-2021-41190) -----

OCI_INDEX_MT = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST_MT = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_MT = "application/vnd.docker.distribution.manifest.v2+json"


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f)


def replace_manifest(img, change):
    """Rewrites the manifest blob as change(manifest) and points index.json
    (its descriptor updated by change_desc) at the new blob."""
    index = read_json(img / "index.json")
    desc = index["manifests"][0]
    man = read_json(blob_path(str(img), desc))
    new = put_blob(str(img), json.dumps(change(man)).encode())
    desc.update(new)
    write_json(img / "index.json", index)
    return index


def nest_index(img, change_sub=lambda i: i, sub_mt=OCI_INDEX_MT):
    """Moves index.json's manifests into a nested index blob (change_sub(it))."""
    index = read_json(img / "index.json")
    sub = change_sub({"schemaVersion": 2, "mediaType": OCI_INDEX_MT,
                      "manifests": index["manifests"]})
    d = put_blob(str(img), json.dumps(sub).encode())
    d["mediaType"] = sub_mt
    write_json(img / "index.json", {"schemaVersion": 2, "manifests": [d]})


def set_desc_mt(img, mt):
    index = read_json(img / "index.json")
    index["manifests"][0]["mediaType"] = mt
    write_json(img / "index.json", index)


def index_with(img, **extra):
    index = read_json(img / "index.json")
    index.update(extra)
    write_json(img / "index.json", index)


def manifest_desc(img):
    return read_json(img / "index.json")["manifests"][0]


AMBIGUOUS = {
    # a manifest that carries manifests
    "manifest-with-manifests": (lambda img: replace_manifest(
        img, lambda m: dict(m, manifests=[manifest_desc(img)])),
        "is both a manifest and an index: an image manifest with 'manifests'"),
    # an index (index.json, or a nested one) that carries layers or config
    "index-with-layers": (lambda img: index_with(
        img, layers=manifest_of(str(img))["layers"]),
        "is both a manifest and an index: an image index with 'layers'"),
    "index-with-config": (lambda img: index_with(
        img, config=manifest_of(str(img))["config"]),
        "is both a manifest and an index: an image index with 'config'"),
    "nested-index-with-layers": (lambda img: nest_index(
        img, lambda i: dict(i, layers=manifest_of(str(img))["layers"])),
        "an image index with 'layers'"),
    "nested-index-with-config": (lambda img: nest_index(
        img, lambda i: dict(i, config=manifest_of(str(img))["config"])),
        "an image index with 'config'"),
    # a mediaType that disagrees with the descriptor that led to the document
    "manifest-says-index": (lambda img: replace_manifest(
        img, lambda m: dict(m, mediaType=OCI_INDEX_MT)),
        "has mediaType '%s' but its descriptor says '%s'" % (OCI_INDEX_MT, OCI_MANIFEST_MT)),
    "manifest-says-docker": (lambda img: replace_manifest(
        img, lambda m: dict(m, mediaType=DOCKER_MANIFEST_MT)),
        "has mediaType '%s' but its descriptor says" % DOCKER_MANIFEST_MT),
    "descriptor-says-index": (lambda img: set_desc_mt(img, OCI_INDEX_MT),
                              "an image index with 'layers'"),
    "nested-says-manifest": (lambda img: nest_index(img, sub_mt=OCI_MANIFEST_MT),
                             "an image manifest with 'manifests'"),
    "nested-mt-disagrees": (lambda img: nest_index(
        img, lambda i: dict(i, mediaType="application/vnd.docker.distribution.manifest.list.v2+json")),
        "but its descriptor says '%s'" % OCI_INDEX_MT),
    "index-json-says-manifest": (lambda img: index_with(img, mediaType=OCI_MANIFEST_MT),
                                 "has mediaType '%s', not that of an image index"
                                 % OCI_MANIFEST_MT),
    "descriptor-says-layer": (lambda img: set_desc_mt(img, GZIP_MT),
                              "index entry has mediaType '%s', not that of a manifest" % GZIP_MT),
    "manifest-without-mt-with-manifests": (lambda img: replace_manifest(
        img, lambda m: dict({k: v for k, v in m.items() if k != "mediaType"},
                            manifests=[manifest_desc(img)])),
        "an image manifest with 'manifests'"),
}


def docker_save_manifest(img):
    """Adds the manifest.json `docker save` writes beside the OCI layout."""
    man = manifest_of(str(img))
    write_json(img / "manifest.json", [{
        "Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1],
        "RepoTags": ["t:1"],
        "Layers": ["blobs/sha256/" + d["digest"].split(":")[1] for d in man["layers"]]}])


def pack(env, img, kind):
    """The layout as given (oci), as a tarball (oci-tar), or as the archive
    `docker save` writes since Docker 25 (oci-tar plus manifest.json)."""
    if kind == "oci":
        return img
    path = env / "docker.tar"
    with tarfile.open(path, "w") as t:
        for name in sorted(os.listdir(img)):
            t.add(str(img / name), arcname=name)
    return path


@pytest.mark.parametrize("kind", ["oci", "oci-tar", "docker-archive"])
@pytest.mark.parametrize("case", sorted(AMBIGUOUS))
def test_manifest_index_confusion(env, case, kind):
    change, message = AMBIGUOUS[case]
    img = layout(env, [F])
    if kind == "docker-archive":
        docker_save_manifest(img)
    change(img)
    image = pack(env, img, kind)
    err = unpack_fails(env, image, message)
    assert "index.json" in err or "manifest sha256:" in err, err
    r = bhimage("inspect", str(image))
    assert r.returncode != 0 and message in r.stderr, r.stderr


@pytest.mark.parametrize("kind", ["oci", "oci-tar", "docker-archive"])
def test_well_formed_kinds_load(env, kind):
    """The checks refuse only the ambiguous: a nested index, documents with
    and without their own mediaType, a docker schema 2 manifest all load."""
    img = layout(env, [F])
    if kind == "docker-archive":
        docker_save_manifest(img)
    replace_manifest(img, lambda m: {k: v for k, v in m.items() if k != "mediaType"})
    nest_index(img, lambda i: {k: v for k, v in i.items() if k != "mediaType"})
    index_with(img, mediaType=OCI_INDEX_MT)
    r = bhimage("unpack", str(pack(env, img, kind)), str(env / "dest"))
    assert r.returncode == 0, r.stderr
    assert (env / "dest" / "ok").read_bytes() == b"fine"


def test_docker_schema2_manifest_loads(env):
    img = layout(env, [F])
    replace_manifest(img, lambda m: dict(m, mediaType=DOCKER_MANIFEST_MT))
    set_desc_mt(img, DOCKER_MANIFEST_MT)
    r = bhimage("unpack", str(img), str(env / "dest"))
    assert r.returncode == 0, r.stderr
    assert (env / "dest" / "ok").read_bytes() == b"fine"
