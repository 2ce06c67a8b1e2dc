"""Real-browser fixtures: Debian's chromium driven by Playwright, JupyterLab and Voila servers.

Browser downloads are impossible here, so Playwright launches ``/usr/bin/chromium`` through
``executable_path``. Without it the browser tests are skipped with a visible reason, except in CI
(``CI=true``), where they must run and a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CAPLAB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        message = (f"browser tests need Debian's chromium at {CHROMIUM} "
                   f"(make test installs it when run as root)")
        if os.environ.get("CI"):
            pytest.fail(message + "; in CI the browser tests must run")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    """pytest-playwright's launch arguments, pointed at Debian's chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS,
            "headless": True}


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not open port {port} in {timeout_s} s:\n"
                       f"{log.read_text()[-3000:]}")


def _copy_workdir(tmp: Path) -> Path:
    """A temporary copy of the notebooks, so autosave never writes into the repository."""
    work = tmp / "work"
    shutil.copytree(REPO / "notebooks", work / "notebooks")
    return work


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory, chromium_path):
    """A JupyterLab server on 127.0.0.1 serving a temporary copy of notebooks/; yields its URL."""
    tmp = tmp_path_factory.mktemp("lab")
    work = _copy_workdir(tmp)
    settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # Pre-answer the "news" toast so it does not cover the page.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    token = "caplab-test"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    log = tmp / "lab.log"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
           "--ServerApp.disable_check_xsrf=True"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        wait_for_port(port, proc, log)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "root": work}
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory, chromium_path):
    """A Voila server rendering notebooks/dashboard.ipynb; yields its URL.

    Readiness is the open port: a GET of / would execute the notebook in a kernel of its own.
    """
    tmp = tmp_path_factory.mktemp("voila")
    work = _copy_workdir(tmp)
    port = free_port()
    log = tmp / "voila.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    cmd = [sys.executable, "-m", "voila", str(work / "notebooks" / "dashboard.ipynb"),
           "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        wait_for_port(port, proc, log)
        yield {"url": f"http://127.0.0.1:{port}", "log": log}
    finally:
        _stop(proc)
