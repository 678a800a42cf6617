"""`dealwire serve`: the config's run as a Prefect deployment on a schedule, for months unattended.

Prefect's ephemeral server cannot schedule, so with no PREFECT_API_URL this starts `prefect server
start` as a child process, points itself at it, and stops it on exit.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from prefect import flow

from flows.config import Settings, load_settings, quiet_prefect
from flows.errors import DealwireError, UsageError
from flows.prefect_api import api_healthy, stop_process

FLOW_NAME = "dealwire-run"
DEPLOYMENT_NAME = "scheduled"
SERVER_START_TIMEOUT_S = 90.0


@flow(name=FLOW_NAME, validate_parameters=False)
def scheduled_ingest(config: str | None = None, db: str | None = None, allow_private: bool = False) -> dict:
    """One `dealwire run` over the config's feeds: what each scheduled tick does."""
    from flows.ingest import ingest

    settings = load_settings(config, db, allow_private)
    summary = ingest(list(settings.feeds), settings)
    return {"run_id": summary.run_id, "feeds_ok": summary.feeds_ok, "feeds_failed": len(summary.failures),
            "articles_new": summary.articles_new, "articles_updated": summary.articles_updated,
            "deals": summary.deals}


def serve(settings: Settings, *, config: str | None, cron: str | None, interval_minutes: float | None,
          port: int = 4200) -> int:
    """Serve scheduled_ingest until interrupted; at most one run at a time, here and across servers."""
    quiet_prefect()
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.types.entrypoint import EntrypointType

    parameters = {"config": str(Path(config).resolve()) if config else None,
                  "db": str(Path(settings.db_path).resolve()), "allow_private": settings.allow_private}
    when = f"on cron '{cron}' (UTC)" if cron else f"every {interval_minutes:g} minutes"
    with contextlib.ExitStack() as stack:
        api = PREFECT_API_URL.value()
        if not api:
            api = stack.enter_context(local_server(port, Path(settings.db_path).resolve().parent))
            stack.enter_context(temporary_settings(updates={PREFECT_API_URL: api}))
        print(f"Serving `dealwire run` {when}: {len(settings.feeds)} feed(s) into {parameters['db']}\n"
              f"Prefect UI: {api.removesuffix('/api')}  (deployment {FLOW_NAME}/{DEPLOYMENT_NAME})\n"
              f"Run one now: PREFECT_API_URL={api} .venv/bin/prefect deployment run '{FLOW_NAME}/{DEPLOYMENT_NAME}'\n"
              "Stop with Ctrl-C; the schedule is paused until `dealwire serve` starts again.",
              file=sys.stderr, flush=True)
        scheduled_ingest.serve(
            name=DEPLOYMENT_NAME,
            cron=cron,
            interval=timedelta(minutes=interval_minutes) if interval_minutes else None,
            parameters=parameters,
            limit=1,             # this process runs one at a time ...
            global_limit=1,      # ... and the deployment allows one at a time wherever it is served
            pause_on_shutdown=True,
            print_starting_message=False,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    return 0


def check_cron(cron: str, source: str) -> None:
    """Refuse a cron expression Prefect would refuse, before a server is started for it (~20 s)."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:      # pydantic's ValidationError
        raise UsageError(f"{source} {cron!r} is not a cron expression (five fields, e.g. '*/30 * * * *')") from None


@contextlib.contextmanager
def local_server(port: int, log_dir: Path) -> Iterator[str]:
    """A Prefect server on 127.0.0.1:port for as long as the block runs; yields its API URL.

    A Prefect server already answering on that port is used as it is (and left running).
    """
    api = f"http://127.0.0.1:{port}/api"
    if api_healthy(api):
        print(f"Using the Prefect server already running at {api}", file=sys.stderr)
        yield api
        return
    if _port_taken(port):
        raise DealwireError(f"port {port} is taken by something that is not a Prefect server; "
                            "pick another with --port, or set PREFECT_API_URL to a running Prefect server")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "prefect-server.log"
    print(f"Starting a local Prefect server on port {port} (log: {log_path}) ...", file=sys.stderr, flush=True)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "ab") as log:
        # Its own session: Ctrl-C reaches serve first, which stops the runner, then this server.
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_healthy(api, server, log_path)
        yield api
    finally:
        _stop(server)


def _wait_healthy(api: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not api_healthy(api):
        if server.poll() is not None or time.monotonic() > deadline:
            raise DealwireError(
                f"could not start a local Prefect server (see {log_path}). Start one yourself in another "
                f"terminal with `.venv/bin/prefect server start`, then run "
                f"`PREFECT_API_URL=http://127.0.0.1:4200/api .venv/bin/dealwire serve ...`")
        time.sleep(0.5)


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    print("Stopping the local Prefect server ...", file=sys.stderr, flush=True)
    stop_process(server, timeout_s=20)
