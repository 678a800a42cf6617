"""Quality gate: score the pipeline's own DuckDB output on the shared gold sets, through `dealwire ingest`,
and the train folds in-process (the same parser and pipeline, see flows/evaluate.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
FLOORS = json.loads((ROOT / "tests" / "quality_floors.json").read_text())
DEALWIRE = Path(sys.executable).with_name("dealwire")

pytestmark = pytest.mark.skipif(not (EVAL / "score.py").exists(), reason="../shared/eval is not here")


def _score(gold: str, tmp_path: Path) -> dict:
    feed, db = tmp_path / f"{gold}.xml", tmp_path / f"{gold}.duckdb"
    subprocess.run([sys.executable, EVAL / "score.py", "feed", EVAL / f"{gold}.jsonl", feed], check=True)
    env = {**os.environ, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
           "DEALWIRE_FETCH_PAGES": "never"}   # the gold articles are scored on their own text
    run = subprocess.run([DEALWIRE, "ingest", str(feed), "--db", str(db)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    out = subprocess.run([sys.executable, EVAL / "score.py", "score", EVAL / f"{gold}.jsonl", db, "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("gold", ["dev", "seed"])
def test_quality_holds_its_floors(gold, tmp_path):
    result = _score(gold, tmp_path)
    assert result["articles_missing"] == 0
    below = {k: (result[k], floor) for k, floor in FLOORS[gold].items() if (result[k] or 0) < floor}
    assert not below, f"{gold}: below the floor (got, floor): {below}"


@pytest.mark.slow
@pytest.mark.parametrize("name, folds", [("train_heldout", {4, 5}), ("train", None)])
def test_train_folds_hold_their_floors(name, folds):
    from flows.evaluate import evaluate, load_articles

    result = evaluate(load_articles(EVAL / "train", folds), EVAL)
    below = {k: (result[k], floor) for k, floor in FLOORS[name].items() if (result[k] or 0) < floor}
    assert not below, f"{name}: below the floor (got, floor): {below}"
