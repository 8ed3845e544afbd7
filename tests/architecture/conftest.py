"""Fixtures for the architecture tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def golden_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's pinned audit.json, unpacked."""
    out = tmp_path_factory.mktemp("golden") / "audit.json"
    out.write_text(gzip.open(DATA / "demo_no_what_if.json.gz", "rt", encoding="utf-8").read(),
                   encoding="utf-8")
    return out
