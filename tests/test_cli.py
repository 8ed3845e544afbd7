"""The command line: exit codes, one-line errors for bad input, no half-written reports."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from models_for_tests import NaNScoreModel, NoPredict, RaisingModel

from audit.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


def assert_clean_error(code: int, err: str, tmp_path: Path, *expected: str) -> str:
    """Exit 2, a single 'audit: error:' line without traceback, and no report written."""
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("audit: error: "), err
    assert "Traceback" not in err
    for text in expected:
        assert text in lines[0], lines[0]
    assert not (tmp_path / "r.html").exists()
    assert not (tmp_path / "r.json").exists()
    return lines[0]


def outs(tmp_path: Path) -> list[str]:
    return ["-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"), "--n-boot", "50"]


@pytest.fixture(scope="module")
def one_run(tmp_path_factory, small_df, small_model) -> Path:
    """One default audit of the small files, shared by the tests that only read its outputs
    (r.html, r.json) instead of each running its own (7-10 s each on 2 busy cores)."""
    d = tmp_path_factory.mktemp("one_run")
    joblib.dump(small_model, d / "model.joblib")
    small_df.to_parquet(d / "data.parquet", index=False)
    assert main(_one_run_argv(d)) in (0, 1)
    return d


def _one_run_argv(d: Path) -> list[str]:
    """The shared audit's command line (its files and outputs in ``d``)."""
    return ["run", str(d / "model.joblib"), str(d / "data.parquet"), *outs(d), "-q"]


def test_run_writes_report_and_json(capsys, tmp_path, small_files):
    model, data = small_files
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    assert code in (0, 1), err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["schema_version"] == "1.1"
    assert doc["spec"]["target"] == "target"
    assert {p["name"] for p in doc["spec"]["protected"]} == {"race", "gender", "geography"}
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "Target: 'target' (column named 'target')" in err
    assert "gender: column 'gender' (column name 'gender' matches gender)" in err
    assert "Verdict:" in err.splitlines()[-1]
    # no temporary files left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "model.joblib",
                                                          "r.html", "r.json"]


def test_missing_file(capsys, tmp_path, small_files):
    model, _ = small_files
    code, err = run_cli(capsys, "run", str(model), str(tmp_path / "nope.parquet"), *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == f"audit: error: data file '{tmp_path / 'nope.parquet'}' not found - check the path"


def test_truncated_parquet(capsys, tmp_path, small_files):
    model, data = small_files
    raw = data.read_bytes()
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(raw[: len(raw) // 2])
    code, err = run_cli(capsys, "run", str(model), str(bad), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, f"data file '{bad}' is not a readable parquet file",
                       "it may be truncated or corrupt; re-export it")


def test_not_a_model(capsys, tmp_path, small_files):
    _, data = small_files
    fake = tmp_path / "model.pkl"
    fake.write_text("this is not a pickle")
    code, err = run_cli(capsys, "run", str(fake), str(data), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, f"model file '{fake}' is not a readable model",
                       "expected a fitted model saved with joblib.dump or pickle.dump")


def test_model_without_predict(capsys, tmp_path, small_files):
    _, data = small_files
    path = tmp_path / "m.pkl"
    joblib.dump(NoPredict(), path)
    code, err = run_cli(capsys, "run", str(path), str(data), "--trust-model", *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: model file '{path}' holds a NoPredict, which has no predict() "
                    "method - save the fitted estimator or pipeline itself")


def test_missing_feature_columns(capsys, tmp_path, small_files, small_df):
    model, _ = small_files
    data = tmp_path / "d.csv"
    small_df.rename(columns={"income": "Income_"}).to_csv(data, index=False)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: {data} lacks 1 of the model's 2 feature columns: income (did "
                    "you mean 'Income_'?) - pass data with the columns the model was trained on, "
                    "or rename them")


def test_empty_dataset(capsys, tmp_path, small_files, small_df):
    model, _ = small_files
    data = tmp_path / "empty.parquet"
    small_df.iloc[:0].to_parquet(data)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: data file '{data}' has 5 columns but no rows - expected at "
                    "least one row to audit")


def test_single_class_target(capsys, tmp_path, small_files, small_df):
    model, _ = small_files
    data = tmp_path / "d.parquet"
    small_df.assign(target=1).to_parquet(data)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, "target column 'target'", "has a single value (1)",
                       "drop --target")


def test_non_binary_target_needs_positive_label(capsys, tmp_path, small_files, small_df):
    model, _ = small_files
    data = tmp_path / "d.parquet"
    df = small_df.copy()
    df.loc[::5, "target"] = 2
    df.to_parquet(data)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, "target column 'target'", "has 3 values (0, 1, 2)",
                       "pass --positive-label VALUE")
    code, err = run_cli(capsys, "run", str(model), str(data), "--positive-label", "1",
                        "--no-what-if", *outs(tmp_path))
    assert code in (0, 1), err


def test_protected_column_entirely_missing(capsys, tmp_path, small_files, small_df):
    model, _ = small_files
    data = tmp_path / "d.parquet"
    small_df.assign(race=pd.Series([None] * len(small_df), dtype=object)).to_parquet(data)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: protected column 'race' (race) in {data} is entirely missing "
                    "- fill it, or choose another with --protected race=COLUMN")


def test_predict_raising(capsys, tmp_path, small_files, small_df):
    _, data = small_files
    path = tmp_path / "m.joblib"
    joblib.dump(RaisingModel().fit(small_df[["income"]], small_df.target), path)
    code, err = run_cli(capsys, "run", str(path), str(data), "--trust-model", *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: {path}: the model's predict() raised ValueError: could not "
                    "convert string to float: 'abc' - check that the data has the columns and "
                    "types the model was trained on")


def test_nan_scores(capsys, tmp_path, small_files, small_df):
    _, data = small_files
    path = tmp_path / "m.joblib"
    joblib.dump(NaNScoreModel().fit(small_df[["income"]], small_df.target), path)
    code, err = run_cli(capsys, "run", str(path), str(data), "--trust-model", *outs(tmp_path))
    n_nan = len(range(0, len(small_df), 7))
    line = assert_clean_error(code, err, tmp_path)
    assert line == (f"audit: error: {path}: the model's predict_proba() returned {n_nan} NaN "
                    "scores - expected probabilities in [0, 1]; check for missing values the "
                    "model cannot handle")


def test_config_unknown_key(capsys, tmp_path, small_files):
    model, data = small_files
    cfg = tmp_path / "audit.toml"
    cfg.write_text('target = "target"\nseeed = 3\n')
    code, err = run_cli(capsys, "run", str(model), str(data), "-c", str(cfg), *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == f"audit: error: config file '{cfg}': unknown key 'seeed' - did you mean 'seed'?"


def test_multiclass_model_is_unsupported(capsys, tmp_path, small_df):
    from sklearn.linear_model import LogisticRegression

    df = small_df.assign(target=np.arange(len(small_df)) % 3)
    path, data = tmp_path / "m.joblib", tmp_path / "d.parquet"
    joblib.dump(LogisticRegression().fit(df[["income"]], df.target), path)
    df.to_parquet(data)
    code, err = run_cli(capsys, "run", str(path), str(data), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, "multiclass classifier (3 classes: 0, 1, 2)",
                       "only binary classification and regression are supported yet")


def test_usage_errors_exit_2(capsys, tmp_path, small_files):
    model, data = small_files
    code, err = run_cli(capsys, "run", str(data), *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, "only one input given")
    code, err = run_cli(capsys, "run", str(model), str(data), "--protected", "race",
                        *outs(tmp_path))
    assert_clean_error(code, err, tmp_path, "--protected 'race' is not NAME=VALUE")
    code, err = run_cli(capsys, "run", str(model), str(data), "--bogus")
    assert code == 2 and "No such option '--bogus'" in err


def test_internal_error_exit_3_without_traceback(capsys, tmp_path, small_files, monkeypatch):
    model, data = small_files
    import audit._pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pipeline, "sanity_checks", boom)
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    assert code == 3
    assert "Traceback" not in err and "internal error: RuntimeError: kaboom" in err
    code, err = run_cli(capsys, "run", str(model), str(data), "--debug", *outs(tmp_path))
    assert code == 3 and "Traceback" in err
    assert not (tmp_path / "r.html").exists()


def test_strict_turns_review_into_exit_1(capsys, tmp_path, small_files):
    model, data = small_files
    fast = ("--skip", "explain,complexity,proxies",)  # the verdict does not depend on them
    code, err = run_cli(capsys, "run", str(model), str(data), *fast, *outs(tmp_path))
    verdict = json.loads((tmp_path / "r.json").read_text())["verdict"]["verdict"]
    code_strict, _ = run_cli(capsys, "run", str(model), str(data), "--strict", *fast,
                             *outs(tmp_path))
    expected = {"PASS": (0, 0), "REVIEW": (0, 1), "FAIL": (1, 1)}[verdict]
    assert (code, code_strict) == expected
    code_zero, err = run_cli(capsys, "run", str(model), str(data), "--strict", "--exit-zero",
                             *fast, *outs(tmp_path))
    assert code_zero == 0 and f"Verdict: {verdict}" in err


def test_predictions_only_mode(capsys, tmp_path, small_df, small_model):
    df = small_df.copy()
    df["decision"] = small_model.predict(df[["income", "region"]])
    df["score"] = small_model.predict_proba(df[["income", "region"]])[:, 1]
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    code, err = run_cli(capsys, "run", str(data), "--predictions", "decision", "--scores", "score",
                        *outs(tmp_path))
    assert code in (0, 1), err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["spec"]["mode"] == "predictions"
    assert "explanations" in doc["skipped"]


def test_same_seed_same_json(one_run):
    """The shared audit run again, the same command (and seed): the same audit.json."""
    first = (one_run / "r.json").read_text()
    assert main(_one_run_argv(one_run)) in (0, 1)
    assert (one_run / "r.json").read_text() == first


def test_render_round_trips_except_timestamp(capsys, tmp_path, one_run):
    import re

    code, err = run_cli(capsys, "render", str(one_run / "r.json"), "-o",
                        str(tmp_path / "again.html"))
    assert code == 0, err

    def strip(text: str) -> str:
        return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", text)

    assert strip((tmp_path / "again.html").read_text()) == strip((one_run / "r.html").read_text())


def test_render_rejects_other_schema_version(capsys, tmp_path, one_run):
    doc = json.loads((one_run / "r.json").read_text())
    doc["schema_version"] = "0.9"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    code, err = run_cli(capsys, "render", str(old), "-o", str(tmp_path / "x.html"))
    assert code == 2
    assert err.strip() == (f"audit: error: '{old}': audit JSON has schema_version '0.9' - this "
                           "version of model-audit reads '1.0' or '1.1'; re-run the audit with this version")
    assert not (tmp_path / "x.html").exists()


def test_render_reads_schema_1_0(capsys, tmp_path, one_run):
    """A 1.0 file (before the fields added in 1.1) still renders and diffs."""
    doc = json.loads((one_run / "r.json").read_text())
    doc["schema_version"] = "1.0"
    for check in doc["verdict"]["checks"]:
        for key in ("decision", "decision_interval", "decision_confidence", "materiality"):
            check.pop(key)
    doc["verdict"].pop("rules")
    for key in ("positive_is", "positive_how", "positive_note", "scores_how"):
        doc["spec"].pop(key)
    doc["provenance"].pop("policy_sha256")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    code, err = run_cli(capsys, "render", str(old), "-o", str(tmp_path / "x.html"))
    assert code == 0, err
    assert doc["verdict"]["verdict"] in (tmp_path / "x.html").read_text()
    code, err = run_cli(capsys, "diff", str(old), str(one_run / "r.json"), "-o",
                        str(tmp_path / "d.html"))
    assert code in (0, 1), err


def test_policy_show_and_custom_policy(capsys, tmp_path, small_files):
    code, err = run_cli(capsys, "policy", "show")
    model, data = small_files
    strict = tmp_path / "policy.toml"
    strict.write_text("selection_rate_ratio_min = 0.99\naccuracy_diff_max = 0.001\n")
    code, err = run_cli(capsys, "run", str(model), str(data), "--policy", str(strict),
                        "--no-what-if", *outs(tmp_path))
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["verdict"]["policy"]["selection_rate_ratio_min"] == 0.99
    assert any(f["role"] == "policy" for f in doc["provenance"]["files"])
    bad = tmp_path / "bad.toml"
    bad.write_text("four_fifths = 0.8\n")
    code, err = run_cli(capsys, "run", str(model), str(data), "--policy", str(bad),
                        *outs(tmp_path))
    assert code == 2 and "unknown key 'four_fifths' - see `audit policy show`" in err


def test_policy_show_prints_every_threshold(capsys):
    from audit._result.verdict import POLICY_FIELDS

    code = main(["policy", "show"])
    out = capsys.readouterr().out
    assert code == 0
    for name in POLICY_FIELDS:
        assert f"\n{name} = " in out


def test_diff_reports_changes(capsys, tmp_path, small_df, small_model):
    data_a, data_b, model = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "m.joblib"
    joblib.dump(small_model, model)
    small_df.to_parquet(data_a)
    # the newer data: a region's applicants all get turned down in the labels
    small_df.assign(income=np.where(small_df.race == "B", small_df.income - 25,
                                    small_df.income)).to_parquet(data_b)
    run_cli(capsys, "run", str(model), str(data_a), "-o", str(tmp_path / "a.html"), "--json",
            str(tmp_path / "a.json"), "--n-boot", "50", "--skip", "complexity,proxies")
    run_cli(capsys, "run", str(model), str(data_b), "-o", str(tmp_path / "b.html"), "--json",
            str(tmp_path / "b.json"), "--n-boot", "50", "--skip", "complexity,proxies")
    code, err = run_cli(capsys, "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o",
                        str(tmp_path / "d.html"))
    assert code == 0, err
    html = (tmp_path / "d.html").read_text()
    assert "The data file is different" in html
    assert "race, B vs A: the selection rate ratio moved from" in html
    assert "[worse]" in err


def test_csv_with_numeric_looking_codes_matches_parquet(capsys, tmp_path, small_df):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    df = small_df.assign(zip=np.where(small_df.region == "south", "02134", "90210"))
    pre = ColumnTransformer([("oh", OneHotEncoder(), ["zip"])], remainder="passthrough")
    model = make_pipeline(pre, LogisticRegression()).fit(df[["zip", "income"]], df.target)
    path = tmp_path / "m.joblib"
    joblib.dump(model, path)
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_parquet(tmp_path / "d.parquet")
    for name in ("d.csv", "d.parquet"):
        code, err = run_cli(capsys, "run", str(path), str(tmp_path / name), "--protected",
                            "geo=zip", "-o", str(tmp_path / f"{name}.html"), "--json",
                            str(tmp_path / f"{name}.json"), "--n-boot", "20",
                            "--skip", "explain,complexity,proxies")
        assert code in (0, 1), err
    a = json.loads((tmp_path / "d.csv.json").read_text())
    b = json.loads((tmp_path / "d.parquet.json").read_text())
    assert a["overall"] == b["overall"]
    assert any("converted to text: zip" in n for n in a["spec"]["notes"])


def test_pdf_without_chromium_is_a_clear_error(capsys, tmp_path, small_files, monkeypatch):
    model, data = small_files
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser anywhere
    monkeypatch.delenv("AUDIT_CHROMIUM", raising=False)
    code, err = run_cli(capsys, "run", str(model), str(data), "--pdf", *outs(tmp_path))
    line = assert_clean_error(code, err, tmp_path)
    assert line == ("audit: error: --pdf needs headless Chromium, which was not found on PATH - "
                    "install it (Debian/Ubuntu: apt-get install chromium) or set "
                    "AUDIT_CHROMIUM=/path/to/chromium")


def test_python_api_fingerprints_in_memory_inputs(small_df, small_model):
    import audit

    a = audit.run(small_model, small_df, n_boot=20, explain=False, what_if=False)
    b = audit.run(small_model, small_df.assign(income=small_df.income + 1), n_boot=20,
                  explain=False, what_if=False)
    fa = {f.role: f.sha256 for f in a.provenance.files}
    fb = {f.role: f.sha256 for f in b.provenance.files}
    assert fa["model"] == fb["model"] and len(fa["model"]) == 64
    assert fa["data"] != fb["data"]


def test_outputs_get_normal_permissions(one_run):
    import os

    umask = os.umask(0)
    os.umask(umask)
    for name in ("r.html", "r.json"):
        assert (one_run / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_failing_optional_section_still_writes_report(capsys, tmp_path, small_files, monkeypatch):
    import audit._pipeline as pipeline

    def broken(*a, **k):
        raise RuntimeError("shap exploded")

    monkeypatch.setattr(pipeline, "explain", broken)
    model, data = small_files
    code, err = run_cli(capsys, "run", str(model), str(data), *outs(tmp_path))
    assert code in (0, 1), err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["explanation"] is None
    assert "RuntimeError: shap exploded" in doc["skipped"]["explanations"]
    assert any(f["code"] == "AUDIT001" for f in doc["findings"])
    assert "shap exploded" in (tmp_path / "r.html").read_text()


def test_warnings_while_loading_the_model_are_recorded_not_printed(capfd, tmp_path, small_df):
    from models_for_tests import WarnsWhenLoaded

    path, data = tmp_path / "m.joblib", tmp_path / "d.parquet"
    joblib.dump(WarnsWhenLoaded().fit(small_df[["income"]], small_df.target), path)
    small_df.to_parquet(data, index=False)
    code = main(["run", str(path), str(data), "--trust-model", "--skip", "explain,complexity,proxies",
                 "-q", *outs(tmp_path)])
    err = capfd.readouterr().err
    assert code in (0, 1), err
    assert "pickled by another version" not in err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert any("pickled by another version" in w for w in doc["provenance"]["warnings"])
