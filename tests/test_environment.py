"""The files that set caplab up on a laptop (make), on Binder and on JupyterHub (repo2docker)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _requirements(name: str) -> dict[str, str]:
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r"):
            continue
        assert "==" in line, f"{name}: {line!r} is not pinned with =="
        package, version = line.split("==")
        pins[package.lower()] = version
    return pins


def test_every_requirement_is_pinned():
    """requirements.txt and requirements-dev.txt pin every package (repo2docker reads them)."""
    assert _requirements("requirements.txt") and _requirements("requirements-dev.txt")


def test_runtime_dependencies_of_the_package_are_pinned_in_requirements():
    """Everything pyproject.toml depends on is pinned in requirements.txt (one environment)."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _requirements("requirements.txt")
    for dep in deps:
        name = re.split(r"[<>=!~ \[]", dep)[0].lower()
        assert name in pins, f"{name} is a dependency but not pinned in requirements.txt"


def test_binder_runtime_matches_the_supported_python():
    """runtime.txt asks repo2docker for the Python that pyproject.toml requires."""
    runtime = (REPO / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.(\d+)", runtime), runtime
    minor = int(runtime.split(".")[1])
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and minor >= 11


def test_binder_post_build_installs_the_package():
    """postBuild (run by repo2docker after requirements.txt) installs caplab itself."""
    post = REPO / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!") and re.search(r"pip install .*-e \.", text)
    assert not (REPO / "binder").exists() and not (REPO / ".binder").exists(), (
        "a binder/ folder would make repo2docker ignore the files at the root")


def test_the_instructors_guide_names_the_commands_that_exist():
    """docs/instructors.md tells how to serve the dashboard and run a lab session."""
    guide = (REPO / "docs" / "instructors.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    for target in re.findall(r"`make (\w+)`", guide):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is not a target"
    for notebook in re.findall(r"`(notebooks/[\w.-]+\.ipynb)`", guide):
        assert (REPO / notebook).exists(), notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_opens_notebook_01(tmp_path):
    """`make lab` starts JupyterLab whose front page is notebook 01, not the launcher."""
    port = _free_port()
    env = dict(os.environ, PORT=str(port), LAB_ARGS="--IdentityProvider.token=caplabtest",
               JUPYTER_CONFIG_DIR=str(REPO / "build" / "jupyter-config"))
    # The server's log goes to a file: an unread pipe fills up and stalls the server.
    log = tmp_path / "make-lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"PORT={port}"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        # Generous: on 2 cores next to a notebook run, JupyterLab can take over a minute.
        deadline = time.monotonic() + 240
        location = None
        while time.monotonic() < deadline and location is None and proc.poll() is None:
            time.sleep(0.5)
            request = urllib.request.Request(f"http://127.0.0.1:{port}/?token=caplabtest")
            opener = urllib.request.build_opener(_NoRedirect)
            try:
                opener.open(request, timeout=5)
            except urllib.error.HTTPError as e:
                if e.code in (301, 302, 303, 307):
                    location = e.headers["Location"]
            except OSError:
                continue
        assert location is not None, f"JupyterLab did not answer; its log ends:\n" \
                                     f"{log.read_text(errors='replace')[-2000:]}"
        assert location.split("?")[0].endswith("/lab/tree/notebooks/01-start-here.ipynb"), location
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_test_modules_have_distinct_names():
    """pytest imports test modules by basename (no __init__.py in tests/): two test files with
    one name in different folders make the whole run fail to collect."""
    names: dict[str, Path] = {}
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        assert path.name not in names, f"{path} and {names[path.name]} share a name"
        names[path.name] = path
