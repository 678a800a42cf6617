"""`dealwire serve` for real: it starts its own Prefect server (the test server cannot schedule), registers
a scheduled deployment, a scheduled run stores the feed, and Ctrl-C stops the runner and the server."""
from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName, FlowRunFilter, \
    FlowRunFilterState, FlowRunFilterStateType

from tests.conftest import funding_feed
from tests.ops.conftest import Running, query


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_completed_runs(client: SyncPrefectClient, serving: Running, timeout: float = 60) -> list:
    """The deployment's completed flow runs, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["scheduled"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["COMPLETED"]))))
        if runs or time.monotonic() > deadline or serving.proc.poll() is not None:
            return runs
        time.sleep(1)


def test_serve_starts_a_server_schedules_a_run_and_stops_cleanly(tmp_path):
    (tmp_path / "feed.xml").write_bytes(funding_feed())
    (tmp_path / "feeds.toml").write_text('[[feed]]\nurl = "feed.xml"\n', encoding="utf-8")
    db, port = str(tmp_path / "dealwire.duckdb"), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALWIRE_", "PREFECT_API_URL"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_RUNNER_POLL_FREQUENCY="2",
               DEALWIRE_FETCH_PAGES="never")   # the test feed links beyond loopback
    serving = Running("serve", "--interval", "0.1", "--config", str(tmp_path / "feeds.toml"), "--db", db,
                      "--port", str(port), env=env)
    try:
        assert serving.wait_for("Prefect UI:", timeout=90) == f"Prefect UI: http://127.0.0.1:{port}  " \
                                                               "(deployment dealwire-run/scheduled)"
        with SyncPrefectClient(f"http://127.0.0.1:{port}/api") as client:
            runs = wait_for_completed_runs(client, serving)
            deployment = client.read_deployment_by_name("dealwire-run/scheduled")
        assert [s.schedule.interval.total_seconds() for s in deployment.schedules] == [6.0]
        assert deployment.global_concurrency_limit.limit == 1
        assert runs and all(run.auto_scheduled for run in runs), serving.lines
        assert query(db, "SELECT count(*) FROM articles") == [(3,)]
        assert query(db, "SELECT DISTINCT status FROM runs WHERE finished_at IS NOT NULL") == [("completed",)]
    finally:
        serving.proc.send_signal(signal.SIGINT)
        code, _, stderr = serving.finish(timeout=60)
    assert code == 0, stderr
    assert "Stopping the local Prefect server" in stderr
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
        still_up = True
    except OSError:
        still_up = False
    assert not still_up
