"""File helpers of audit._io: fingerprints, atomic writes, refusing unusable data files."""

from __future__ import annotations

import hashlib
import os

import pytest

from audit._errors import InputError
from audit._io import atomic_write, load_data, sha256_file


def test_atomic_write_creates_parents_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "deep" / "report.html"
    atomic_write(out, "héllo")
    assert out.read_text(encoding="utf-8") == "héllo"
    assert os.listdir(out.parent) == ["report.html"]
    assert sha256_file(out) == hashlib.sha256("héllo".encode()).hexdigest()


def test_atomic_write_honours_the_umask_not_mkstemps_0600(tmp_path):
    out = tmp_path / "a.json"
    old = os.umask(0o022)
    try:
        atomic_write(out, b"{}")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644


def test_load_data_refuses_missing_wrong_suffix_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_data(tmp_path / "nope.csv")
    (tmp_path / "data.txt").write_text("a\n1\n")
    with pytest.raises(InputError, match="expected one of .csv, .parquet, .pq"):
        load_data(tmp_path / "data.txt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="is empty"):
        load_data(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(InputError, match="2 columns but no rows"):
        load_data(tmp_path / "header.csv")

