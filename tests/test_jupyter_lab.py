"""`kedro jupyter lab` (README) starts in a project copy and answers on 127.0.0.1 (issue 26, item 9)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab", reason="jupyterlab is not installed: pip install -e '.[dev]'")
pytest.importorskip("ipykernel", reason="ipykernel is not installed: pip install -e '.[dev]'")

START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:  # jupyter refuses nothing below 65536, but stay in the registered range
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_kedro_jupyter_lab_starts_and_answers(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project", with_notebooks=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "HOME": str(home),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    port = _free_port()
    kedro = Path(sys.executable).with_name("kedro")
    log = (tmp_path / "jupyter.log").open("w")
    # its server is a child of kedro: a new session, so that the whole group is stopped below
    args = ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token="]
    args += ["--allow-root"] if os.geteuid() == 0 else []  # jupyter refuses root without it (CI containers)
    proc = subprocess.Popen([str(kedro), "jupyter", "lab", *args], cwd=project, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status = time.monotonic() + START_TIMEOUT_S, None
        while time.monotonic() < deadline and proc.poll() is None:
            status = _answers(f"http://127.0.0.1:{port}/api/status")
            if status == 200:
                break
            time.sleep(1)
        output = (tmp_path / "jupyter.log").read_text()[-3000:]
        assert status == 200, f"no answer on port {port} (exit {proc.poll()}):\n{output}"
        lab = _answers(f"http://127.0.0.1:{port}/lab")
        assert lab == 200, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs", timeout=5) as response:
            specs = json.load(response)
        assert specs["default"] == "kedro_aegismatrix" and "kedro_aegismatrix" in specs["kernelspecs"], specs
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
