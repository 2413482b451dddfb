"""The bulkhead tool (build/user/bulkhead, static musl) against the real
engine daemon on the build machine (build/engine/bulkheadd, a temporary
socket and data root; tests/engine/engine_client.py starts it), for what the
daemon serves today: image look-ups (New-Container checks its image first),
the daemon's own error messages, and no daemon at all.  The container
endpoints are tested in the guest (tests/guest/test_containers_cli.py)."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine"))
from engine_client import BULKHEADD, Daemon, small_image  # noqa: E402
from recorder import BULKHEAD  # noqa: E402

pytestmark = pytest.mark.skipif(not (os.path.exists(BULKHEAD) and os.path.exists(BULKHEADD)),
                                reason="build/user/bulkhead or build/engine/bulkheadd not built")


def run(sock, *args):
    env = dict(os.environ, DOCKER_HOST="unix://" + sock)
    p = subprocess.run([BULKHEAD, *args], capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path).start()
    yield d
    d.kill()


@pytest.mark.parametrize("image", ["nosuch", "nosuch:1.0", "localhost:5000/a/b:t", "sha256:" + "0" * 64, "UPPER",
                                   "a b"])
def test_new_reports_the_daemons_image_message(daemon, image):
    """What the daemon answers for the image, word for word, as
    "bulkhead: container new NAME: MESSAGE"; nothing is created."""
    import urllib.parse
    st, body = daemon.engine.json("GET", "/images/%s/json" % urllib.parse.quote(image, safe=":/@"))
    assert st in (400, 404), body
    rc, out, err = run(daemon.sock, "container", "new", "c1", "--image", image)
    assert (rc, out, err) == (1, "", "bulkhead: container new c1: %s\n" % body["message"])
    assert daemon.alive()


def test_new_finds_a_loaded_image(daemon):
    """A loaded image passes the look-up; what follows is the create, which
    this daemon may not serve yet (before the containers branch): either
    way the client reports what the daemon answers to the same create."""
    st, msgs = daemon.engine.load(small_image("tiny:1")[0])
    assert st == 200, msgs
    st, body = daemon.engine.json("POST", "/containers/create?name=probe", b'{"Image": "tiny:1"}',
                                  {"Content-Type": "application/json"})
    rc, out, err = run(daemon.sock, "container", "new", "c1", "--image", "tiny:1")
    if st == 201:
        assert rc == 0 and len(out.strip()) == 64, err
    else:
        assert (rc, out, err) == (1, "", "bulkhead: container new c1: %s\n" % body["message"])
    assert "No such image" not in err


def test_no_daemon(tmp_path):
    sock = str(tmp_path / "none.sock")
    assert run(sock, "container", "list") == (
        1, "", "bulkhead: container list: cannot reach the engine daemon at %s: "
               "No such file or directory (is bulkheadd running?)\n" % sock)


def test_daemon_killed_leaves_a_dead_socket(tmp_path):
    d = Daemon(tmp_path).start()
    d.kill()
    assert os.path.exists(d.sock)
    rc, out, err = run(d.sock, "container", "start", "c1")
    assert (rc, out) == (1, "")
    assert err == ("bulkhead: container start c1: cannot reach the engine daemon at %s: "
                   "Connection refused (is bulkheadd running?)\n" % d.sock)


def test_default_socket_is_named():
    """Without DOCKER_HOST the tool goes to /var/run/docker.sock, and says so
    when nothing listens there (the build machine runs no engine)."""
    if os.path.exists("/var/run/docker.sock"):
        pytest.skip("an engine listens on /var/run/docker.sock here")
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    p = subprocess.run([BULKHEAD, "enter", "c1"], capture_output=True, text=True, env=env, timeout=60)
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == ("bulkhead: enter c1: cannot reach the engine daemon at /var/run/docker.sock: "
                        "No such file or directory (is bulkheadd running?)\n")
