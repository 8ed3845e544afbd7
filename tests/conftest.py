from __future__ import annotations

import importlib.util
import itertools
import math
import sys
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[1]


def shapley_values(v: Callable[[frozenset], float], p: int) -> np.ndarray:
    """Exact Shapley values of the set function ``v`` over ``p`` players: every subset
    enumerated (``v`` called once per subset), each weighted by |S|! (p - |S| - 1)! / p!.
    The tests' reference for every explainer that claims exact values."""
    value = {frozenset(S): v(frozenset(S)) for r in range(p + 1)
             for S in itertools.combinations(range(p), r)}
    phi = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for r in range(p):
            w = math.factorial(r) * math.factorial(p - r - 1) / math.factorial(p)
            for S in itertools.combinations(others, r):
                phi[j] += w * (value[frozenset(S) | {j}] - value[frozenset(S)])
    return phi


def load_examples():
    """Import examples/lending.py as a module."""
    spec = importlib.util.spec_from_file_location("lending_example", ROOT / "examples" / "lending.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lending_example", mod)
    spec.loader.exec_module(mod)
    return mod


def make_small(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "income": rng.normal(50, 10, n).round(1),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "gender": rng.choice(["Female", "Male"], n),
        "race": rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1]),
    })
    logit = (df.income - 50) / 8 + 0.4 * (df.region == "south")
    df["target"] = (logit + rng.logistic(size=n) > 0).astype(int)
    return df


def fit_small(df: pd.DataFrame):
    pre = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                             ("num", StandardScaler(), ["income"])])
    return make_pipeline(pre, LogisticRegression()).fit(df[["income", "region"]], df.target)


@pytest.fixture(scope="session")
def small_df() -> pd.DataFrame:
    return make_small()


@pytest.fixture(scope="session")
def small_model(small_df):
    return fit_small(small_df)


@pytest.fixture()
def small_files(tmp_path, small_df, small_model):
    model = tmp_path / "model.joblib"
    joblib.dump(small_model, model)
    data = tmp_path / "data.parquet"
    small_df.to_parquet(data, index=False)
    return model, data


@pytest.fixture(scope="session")
def golden_json(tmp_path_factory) -> Path:
    """The demo's pinned audit.json (tests/data), unpacked."""
    import gzip

    out = tmp_path_factory.mktemp("golden") / "audit.json"
    packed = ROOT / "tests" / "data" / "demo_no_what_if.json.gz"
    out.write_text(gzip.open(packed, "rt", encoding="utf-8").read(), encoding="utf-8")
    return out


def read_stored_demo(name: str = "demo_full"):
    """The demo's pinned audit.json (tests/data) as a result: renders in seconds, no model."""
    import gzip
    import json

    from audit._result.audit import AuditResult

    packed = ROOT / "tests" / "data" / f"{name}.json.gz"
    return AuditResult.from_dict(json.loads(gzip.open(packed, "rt", encoding="utf-8").read()))


@pytest.fixture(scope="session")
def stored_demo():
    """:func:`read_stored_demo`, read once per test process."""
    return read_stored_demo()


@pytest.fixture(scope="session")
def stored_demo_html(stored_demo) -> str:
    """The stored demo's report page."""
    from audit._report import render_html

    return render_html(stored_demo)


def section(page: str, name: str) -> str:
    """The HTML of one ``<section id=name>`` of a report page."""
    start = page.index(f'<section id="{name}"')
    return page[start:page.index("</section>", start)]


# --------------------------------------------------------------------------- the bad-input matrix


def _digest(path: Path) -> str | None:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.fixture()
def refused(capsys, tmp_path):
    """Run the CLI on a bad input and assert the house rule for bad input.

    ``refused(args, message, code=2, untouched=(paths...))`` checks: the exit code,
    exactly one non-empty line on stderr starting ``audit: error:`` (for code 2) that
    contains ``message``, no traceback, no report or JSON written in ``tmp_path``
    (``r.html``/``r.json``, the names :func:`outs` uses), and every path in
    ``untouched`` byte-identical afterwards (or still absent). Returns the line.
    """
    from audit.cli import main

    def check(args: list[str], message: str, code: int = 2,
              untouched: tuple[Path, ...] = ()) -> str:
        before = {p: _digest(p) for p in untouched}
        got = main([str(a) for a in args])
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert got == code, err
        assert "Traceback" not in err, err
        assert len(lines) == 1, err
        if code == 2:
            assert lines[0].startswith("audit: error: "), err
        assert message in lines[0], lines[0]
        assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.json").exists()
        for p, digest in before.items():
            assert _digest(p) == digest, f"{p} was changed or created"
        return lines[0]

    return check


def outs(tmp_path: Path) -> list[str]:
    """Output options that :func:`refused` checks for (a small bootstrap keeps tests fast)."""
    return ["-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"), "--n-boot", "50"]
