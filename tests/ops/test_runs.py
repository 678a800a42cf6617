"""Every run recorded in `runs`, with Prefect artifacts; a flaky feed retried inside the run."""
from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.ingest import ingest
from tests.conftest import FUNDING_STORIES, funding_feed
from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)
from tests.ops.conftest import query

pytestmark = pytest.mark.usefixtures("prefect_api")
README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_feed_failing_twice_is_retried_with_backoff_and_stored(feed_server, settings):
    calls = []

    def flaky(handler) -> None:
        calls.append(1)
        status, body = (503, b"busy") if len(calls) <= 2 else (200, funding_feed())
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    url = feed_server.route("/flaky.xml", handler=flaky)
    summary = ingest([url], replace(settings, fetch_retries=2, retry_delay_s=0.05))
    assert (len(calls), summary.feeds_ok, summary.articles_new) == (3, 1, len(FUNDING_STORIES))
    assert query(settings.db_path, "SELECT last_status, consecutive_failures FROM feeds") == [("ok", 0)]


def test_a_server_asking_to_retry_after_a_while_is_waited_for(feed_server, settings):
    seen = []

    def limited(handler) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            status, body, extra = 429, b"slow down", {"Retry-After": "2"}
        else:
            status, body, extra = 200, funding_feed(), {}
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **extra}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    url = feed_server.route("/limited.xml", handler=limited)
    summary = ingest([url], replace(settings, fetch_retries=1, retry_delay_s=0.05))
    assert (len(seen), summary.feeds_ok) == (2, 1)
    assert seen[1] - seen[0] >= 2.0


@pytest.fixture
def partial_run(feed_server, settings):
    """One run with a good feed and a feed that answers 404: (settings, its runs row as a dict)."""
    good = feed_server.route("/good.xml", body=funding_feed())
    bad = feed_server.route("/gone.xml", status=404, body=b"gone")
    ingest([good, bad], settings)
    columns = ("status", "feeds_ok", "feeds_failed", "articles_new", "deals_found", "error", "prefect_flow_run_id",
               "finished_at")
    row, = query(settings.db_path, f"SELECT {', '.join(columns)} FROM runs")
    return settings, dict(zip(columns, row)), bad


def test_a_run_with_a_failed_feed_is_recorded_as_partial(partial_run):
    _, run, bad = partial_run
    assert (run["status"], run["feeds_ok"], run["feeds_failed"], run["articles_new"]) == ("partial", 1, 1, 3)
    assert run["error"] == f"{bad}: HTTP 404 Not Found"
    assert run["finished_at"] is not None


def test_each_run_leaves_a_deals_table_and_a_summary_in_prefect(partial_run):
    _, run, bad = partial_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run["prefect_flow_run_id"]])))
    by_key = {a.key: a for a in artifacts}
    assert set(by_key) == {"ingest-deals", "ingest-summary"}
    table = by_key["ingest-deals"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert len(table) == run["deals_found"]
    assert {"company", "type", "amount", "link"} == set(table[0])
    assert {row["link"] for row in table} <= {link for link, *_ in FUNDING_STORIES}
    assert f"- `{bad}`: HTTP 404 Not Found" in by_key["ingest-summary"].data


def operating_queries() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Operating it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.DOTALL)


def test_the_readmes_freshness_and_failing_feed_queries_run(partial_run):
    settings, _, bad = partial_run
    queries = operating_queries()
    assert len(queries) >= 2
    results = [query(settings.db_path, sql) for sql in queries]
    assert all(results)
    assert any(bad in map(str, row) for result in results for row in result)
