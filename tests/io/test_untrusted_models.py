"""Model files are untrusted input: a file that carries code is refused, and never runs.

The malicious files are generated here (never committed). Each writes a marker file
when its code runs; the marker must stay absent after ``audit run`` and ``audit scan``.
Each payload is first shown to be genuine: plain joblib/skops loading does run it.
"""

from __future__ import annotations

import builtins
import json
import os
import pickle
import shlex

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import outs

from audit._io.models import SKOPS_TRUSTED_TYPES, load_model, scan_model
from audit._io.safety import allowed, load_pickled_model, scan_model_file
from audit._words.io import MODEL_TRUSTED
from audit.cli import main


class Touch:
    """Unpickling this runs ``os.system("touch MARKER")`` (``posix.system`` on Linux)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(self.marker)}",))


def _evil_model(model, marker):
    """A working copy of ``model`` that also holds the payload: it loads as a normal model."""
    evil = pickle.loads(pickle.dumps(model))
    evil.__dict__["_payload"] = Touch(marker)
    return evil


def _write(kind, model, marker, path):
    """Write ``model`` with a payload as ``kind``: pickle, joblib (plain/compressed), object array."""
    if kind == "object-array":  # the payload inside a joblib object array (a nested pickle)
        evil = pickle.loads(pickle.dumps(model))
        evil.__dict__["_payload"] = np.array([Touch(marker), 1], dtype=object)
        joblib.dump(evil, path)
        return path
    evil = _evil_model(model, marker)
    if kind == "pickle":
        path.write_bytes(pickle.dumps(evil))
    else:
        compress = {"joblib": 0, "joblib-zlib": 3, "joblib-lzma": ("lzma", 3),
                    "joblib-xz": ("xz", 3)}[kind]
        joblib.dump(evil, path, compress=compress)
    return path


PICKLE_KINDS = ["pickle", "joblib", "joblib-zlib", "joblib-lzma", "joblib-xz", "object-array"]


@pytest.fixture(params=PICKLE_KINDS)
def evil_pickle(request, tmp_path, small_model):
    marker = tmp_path / f"marker-{request.param}"
    suffix = ".pkl" if request.param == "pickle" else ".joblib"
    return _write(request.param, small_model, marker, tmp_path / f"evil{suffix}"), marker


def _evil_skops(path, marker):
    """The FunctionTransformer chain: full_like -> take -> exec runs code in predict_proba."""
    import skops.io as sio
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    code = f"with open({str(marker)!r}, 'w') as f: f.write('ran')"
    pipe = make_pipeline(
        FunctionTransformer(np.full_like, kw_args={"fill_value": code, "dtype": object,
                                                    "shape": ()}),
        FunctionTransformer(np.take, kw_args={"indices": 0}),
        FunctionTransformer(builtins.exec),
        DummyClassifier(),
    )
    pipe.steps[-1] = ("dummy", DummyClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1]))
    first = pipe.steps[0][1]  # looks fitted on the small data's 'income' (fitting runs the chain)
    first.feature_names_in_, first.n_features_in_ = np.array(["income"], dtype=object), 1
    sio.dump(pipe, path)
    return path


@pytest.fixture()
def evil_skops(tmp_path):
    marker = tmp_path / "marker-skops"
    return _evil_skops(tmp_path / "evil.skops", marker), marker


# --------------------------------------------------------------------------- the payloads are real


def test_pickle_payloads_are_genuine(evil_pickle):
    path, marker = evil_pickle
    model = joblib.load(path)  # what `audit run` did before: the code runs, the model works
    assert marker.exists()
    assert hasattr(model, "predict_proba")


def test_skops_payload_is_genuine(evil_skops):
    import skops.io as sio

    path, marker = evil_skops
    untrusted = sio.get_untrusted_types(file=str(path))
    assert {"builtins.exec", "numpy.full_like", "numpy.take"} <= set(untrusted)
    model = sio.load(str(path), trusted=untrusted)
    with pytest.raises(TypeError):
        model.predict_proba(np.zeros((2, 1)))  # exec returns None: the code ran first
    assert marker.exists()


# --------------------------------------------------------------------------- refused, code not run


def test_run_refuses_malicious_pickles(evil_pickle, small_files, tmp_path, refused):
    path, marker = evil_pickle
    _, data = small_files
    line = refused(["run", path, data, *outs(tmp_path)], "outside the allow-list of model classes",
                   untouched=(marker,))
    assert "posix.system" in line and "--trust-model" in line and "audit scan" in line
    assert not marker.exists()


def test_scan_refuses_malicious_pickles(evil_pickle, capsys):
    path, marker = evil_pickle
    assert main(["scan", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "REFUSED  posix.system" in out
    assert "ok       sklearn.pipeline.Pipeline" in out
    assert err.startswith("audit: error: ") and len(err.strip().splitlines()) == 1
    assert not marker.exists()


def test_guarded_loader_refuses_without_the_scan(evil_pickle):
    """Defence in depth: the loader itself refuses, whatever the scan said."""
    path, marker = evil_pickle
    with pytest.raises(pickle.UnpicklingError, match="refused global posix.system"):
        load_pickled_model(path)
    assert not marker.exists()


def test_run_refuses_the_skops_chain(evil_skops, small_files, tmp_path, refused):
    path, marker = evil_skops
    _, data = small_files
    line = refused(["run", path, data, *outs(tmp_path)], "contains 4 type(s) that are not trusted",
                   untouched=(marker,))
    assert "builtins.exec" in line and "numpy.full_like" in line and "numpy.take" in line


def test_scan_refuses_the_skops_chain(evil_skops, capsys):
    path, marker = evil_skops
    assert main(["scan", str(path)]) == 2
    out = capsys.readouterr().out
    assert "REFUSED  builtins.exec" in out
    assert not marker.exists()


def test_skops_functions_are_trusted_only_by_name(evil_skops, capsys):
    path, marker = evil_skops
    names = ["builtins.exec", "builtins.object", "numpy.full_like", "numpy.take"]
    flags = [a for n in names[1:] for a in ("--trust-type", n)]
    assert main(["scan", str(path), *flags]) == 2  # exec still refused
    assert "REFUSED            builtins.exec" in capsys.readouterr().out
    assert main(["scan", str(path), *flags, "--trust-type", "builtins.exec"]) == 0
    assert "ok (--trust-type)  builtins.exec" in capsys.readouterr().out
    assert not marker.exists()


# --------------------------------------------------------------------------- --trust-model


def test_trust_model_loads_and_records_it(tmp_path, small_files, small_model, capsys):
    _, data = small_files
    marker = tmp_path / "marker"
    path = _write("joblib-zlib", small_model, marker, tmp_path / "evil.joblib")
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    code = main(["run", str(path), str(data), "--trust-model", "-o", str(html), "--json", str(js),
                 "--n-boot", "50", "--no-explain", "--no-what-if"])
    err = capsys.readouterr().err
    assert code in (0, 1), err
    assert marker.exists()  # the user trusted it: the code ran (inside tmp_path)
    prov = json.loads(js.read_text())["provenance"]
    assert prov["model_trust"].startswith(MODEL_TRUSTED)
    assert "posix.system" in prov["model_trust"]
    assert prov["config"]["trust_model"] == "True"
    assert f"Warning: {MODEL_TRUSTED}" in err
    page = html.read_text()
    assert 'id="model-trust"' in page and MODEL_TRUSTED in page


def test_trust_model_in_audit_toml(tmp_path, small_files, small_model):
    import audit

    _, data = small_files
    marker = tmp_path / "marker"
    path = _write("pickle", small_model, marker, tmp_path / "evil.pkl")
    cfg = tmp_path / "audit.toml"
    cfg.write_text("trust_model = true\nexplain = false\nwhat_if = false\nn_boot = 50\n")
    result = audit.run(str(path), str(data), str(cfg))
    assert marker.exists()
    assert "posix.system" in result.provenance.model_trust


def test_safe_file_with_trust_model_records_nothing(small_files, tmp_path):
    import audit

    model, data = small_files
    result = audit.run(str(model), str(data), trust_model=True, explain=False, what_if=False,
                       n_boot=50)
    assert result.provenance.model_trust == ""


# --------------------------------------------------------------------------- legitimate models load


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"income": rng.normal(50, 10, n), "age": rng.integers(18, 80, n) * 1.0,
                       "region": rng.choice(["n", "s", "e", "w"], n)})
    y = ((df.income - 50) / 8 + (df.region == "s") + rng.logistic(size=n) > 0).astype(int)
    return df, y


def _legit_models():
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df, y = _frame()
    cat = df.assign(region=df.region.astype("category"))
    num = ["income", "age"]

    def pre():
        return ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                                  ("num", make_pipeline(SimpleImputer(), StandardScaler()), num)])

    return {
        "logistic": (make_pipeline(pre(), LogisticRegression()), df),
        "hgb-numeric": (HistGradientBoostingClassifier(max_iter=5), df[num]),
        "hgb-categorical": (HistGradientBoostingClassifier(max_iter=5,
                                                           categorical_features="from_dtype"), cat),
        "random-forest": (make_pipeline(pre(), RandomForestClassifier(5, random_state=0)), df),
        "gradient-boosting": (make_pipeline(pre(), GradientBoostingClassifier(n_estimators=5)), df),
        "lightgbm-category": (lgb.LGBMClassifier(n_estimators=5, verbose=-1), cat),
        "lightgbm-pipeline": (make_pipeline(pre(), lgb.LGBMClassifier(n_estimators=5, verbose=-1)),
                              df),
        "xgboost": (make_pipeline(pre(), xgb.XGBClassifier(n_estimators=5)), df),
        "xgboost-category": (xgb.XGBClassifier(n_estimators=5, enable_categorical=True), cat),
    }, y


@pytest.fixture(scope="module")
def legit_models():
    models, y = _legit_models()
    return {name: (m.fit(X, y), X) for name, (m, X) in models.items()}


@pytest.mark.parametrize("fmt", ["pickle", "joblib", "joblib-xz", "skops"])
def test_common_models_load_without_a_flag(legit_models, tmp_path, fmt):
    import skops.io as sio

    for name, (model, X) in legit_models.items():
        path = tmp_path / f"{name}.{ {'pickle': 'pkl', 'skops': 'skops'}.get(fmt, 'joblib')}"
        if fmt == "pickle":
            path.write_bytes(pickle.dumps(model))
        elif fmt == "skops":
            sio.dump(model, path)
        else:
            joblib.dump(model, path, compress=("xz", 3) if fmt == "joblib-xz" else 0)
        report = scan_model(path)
        assert report.safe, (name, report.refused, report.note)
        loaded = load_model(path)
        assert loaded.code_risk == ()
        np.testing.assert_allclose(loaded.estimator.predict_proba(X), model.predict_proba(X),
                                   err_msg=name)


def test_legitimate_model_scan_exits_0(small_files, capsys):
    model, _ = small_files
    assert main(["scan", str(model)]) == 0
    out, err = capsys.readouterr()
    assert "; 0 refused" in out and "REFUSED" not in out and err == ""


# --------------------------------------------------------------------------- the allow-list itself


@pytest.mark.parametrize("name", [
    "os.system", "posix.system", "nt.system", "subprocess.Popen", "builtins.eval", "builtins.exec",
    "builtins.getattr", "builtins.__import__", "builtins.open", "builtins.compile", "runpy._run_code",
    "numpy.load", "numpy.memmap", "numpy.fromfile", "numpy.testing._private.utils.runstring",
    "joblib.load", "joblib.numpy_pickle_compat.NDArrayWrapper", "joblib.numpy_pickle.load",
    "pandas.read_pickle", "pandas.io.pytables.HDFStore", "pandas.core.computation.expr.Expr",
    "sklearn.datasets.fetch_openml", "sklearn.utils._testing.TempMemmap",
    "sklearn.utils.parallel.delayed", "sklearn.base.clone", "scipy.io.loadmat",
    "lightgbm.basic._InnerPredictor", "xgboost.tracker.RabitTracker", "shap.Explainer",
    "torch.load", "dill._dill._create_function", "copyreg._extension_registry",
])
def test_dangerous_names_are_refused(name):
    module, _, attr = name.rpartition(".")
    assert not allowed(module, attr)


def test_dotted_and_dunder_names_are_refused():
    assert not allowed("sklearn", "base.BaseEstimator")
    assert not allowed("sklearn.base", "BaseEstimator.__subclasses__")
    assert not allowed("sklearn.base", "__builtins__")


def test_python2_names_are_mapped_before_the_check(tmp_path):
    """A protocol-2 pickle naming ``__builtin__.eval`` is checked as ``builtins.eval``."""
    path = tmp_path / "py2.pkl"
    path.write_bytes(b"\x80\x02c__builtin__\neval\nq\x00X\x03\x00\x00\x001+1q\x01\x85q\x02Rq\x03.")
    report = scan_model_file(path)
    assert report.refused == ("builtins.eval",)


def test_hostile_names_are_escaped_in_the_listing(tmp_path):
    path = tmp_path / "ansi.pkl"
    path.write_bytes(b"\x80\x02cos\x1b[2J\nsystem\nq\x00.")
    report = scan_model_file(path)
    assert report.refused and "\x1b" not in report.refused[0]


def test_reviewed_skops_types_are_exact_names():
    assert all("." in t and not t.endswith(".") for t in SKOPS_TRUSTED_TYPES)
    assert not {"builtins.exec", "builtins.eval", "numpy.load", "joblib.load"} & SKOPS_TRUSTED_TYPES
