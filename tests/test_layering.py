"""Who may import whom (STYLE.md): flows -> extractors, storage; storage -> extractors.records only;
extractors -> spaCy and the standard library; extractors.records -> nothing of ours."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("flows", "extractors", "storage")


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports inside functions count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


@pytest.mark.parametrize("path", modules("extractors"), ids=lambda p: p.name)
def test_extractors_import_no_storage_flows_or_io_libraries(path):
    banned = ("flows", "storage", "duckdb", "httpx", "prefect", "feedparser")
    assert not {m for m in imports(path) if m.split(".")[0] in banned}
    assert "os.environ" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", modules("storage"), ids=lambda p: p.name)
def test_storage_imports_only_records_of_ours(path):
    ours = {m for m in imports(path) if m.split(".")[0] in OURS and not m.startswith("storage")}
    assert all(m == "extractors.records" or m.startswith("extractors.records.") for m in ours)


def test_records_import_nothing_of_ours():
    assert not {m for m in imports(ROOT / "extractors" / "records.py") if m.split(".")[0] in OURS}
