"""The Prefect API a CLI run talks to: the configured server, else a private one started first thing.

With no PREFECT_API_URL, Prefect starts an ephemeral server at the flow's first API call: it imports
its server package in this process (~3 s here) and then waits for the child it starts (~3 s). Starting
that same child (same command, same environment) before anything else is imported lets it come up
while this process imports Prefect, the flows and spaCy, so a run starts ~5 s sooner.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from flows.errors import DealwireError

DEFAULT_STARTUP_TIMEOUT_S = 120.0
PR_SET_PDEATHSIG = 1
PORT_IN_USE = 3          # uvicorn's exit code when the port was taken between our pick and its bind


class EphemeralServer:
    """Prefect's server app under uvicorn on a free loopback port, as Prefect's own ephemeral mode runs it."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        self.port = _free_port()
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            # Its own session: Ctrl-C in a terminal signals the whole foreground group, and a server that
            # died with it would leave this process retrying its last API calls for a minute or more.
            env=env, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, start_new_session=True)

    def wait_until_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == PORT_IN_USE:
                self.start()
            elif code is not None:
                raise DealwireError(f"Prefect's ephemeral server exited with code {code} before answering")
            if api_healthy(self.api_url):
                return
            time.sleep(0.05)
        self.stop()
        raise DealwireError(f"Prefect's ephemeral server did not answer within {timeout_s:g} s "
                            "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout_s=5)


class PrefectAPI:
    """What prefect_api() returns: `ready()` returns once the API answers."""

    def __init__(self, server: EphemeralServer | None = None, timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S):
        self.server, self.timeout_s, self._ready = server, timeout_s, server is None

    def ready(self) -> None:
        if not self._ready:
            self.server.wait_until_healthy(self.timeout_s)
            self._ready = True


def prefect_api() -> PrefectAPI:
    """The configured Prefect API, or an ephemeral server started now and stopped when this process exits.

    Call it before importing the flows, and `ready()` just before the first flow call: the server
    comes up during the imports. A PREFECT_API_URL from the environment or a profile wins.
    """
    if os.environ.get("PREFECT_API_URL"):
        return PrefectAPI()
    server = EphemeralServer()
    server.start()
    # Stopped at exit, after Prefect's own exit hooks have sent the run's last logs and events to it
    # (they run before atexit's), which is when Prefect stops its own ephemeral server too.
    atexit.register(server.stop)
    import prefect.context
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    if PREFECT_API_URL.value():
        server.stop()
        return PrefectAPI()
    # For the rest of this process, in every thread: Prefect's background threads read the global
    # settings, and one that found no URL there would start an ephemeral server of its own.
    os.environ["PREFECT_API_URL"] = server.api_url
    prefect.context.refresh_global_settings_context()
    timeout = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value() or DEFAULT_STARTUP_TIMEOUT_S)
    return PrefectAPI(server, timeout)


def api_healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_process(process: subprocess.Popen, timeout_s: float) -> None:
    """SIGTERM, and SIGKILL if it is still there after timeout_s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if this process dies, even by SIGKILL."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
