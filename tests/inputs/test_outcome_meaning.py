"""What the scores and the positive label mean (issue 10, items 1 and 2).

Item 1: scores outside [0, 1] (decile scores 1-10) are never read as probabilities: the
calibration gap and the average score are "not applicable" with the reason, AUC still
works, and the scope (``ResolvedSpec``) says so.  A user's scores column in [0, 1] is a
probability only when the user says so (``scores_are_probabilities``).

Item 2: for 0/1 and boolean targets, an obvious name decides whether 1 is favourable or
harmful; otherwise 1 is read as favourable and a note says so.  ``positive_is`` states it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audit import AuditConfig, ConfigError, InputError
from audit._config import load_config
from audit._inputs.spec import resolve
from audit._pipeline import run_audit
from audit._words import fairness as FW


def compas_like(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A predictions-only frame like ProPublica's COMPAS extract: decile scores 1-10."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["African-American", "Caucasian", "Hispanic"], n, p=[0.5, 0.35, 0.15])
    age = rng.integers(18, 70, n)
    risk = rng.normal(0, 1, n) + 0.4 * (race == "African-American") - 0.03 * (age - 35)
    decile = np.clip(np.ceil((risk + 2.2) / 0.45), 1, 10).astype(int)
    recid = (risk + rng.logistic(size=n) * 0.8 > 0.3).astype(int)
    return pd.DataFrame({
        "race": race, "sex": rng.choice(["Male", "Female"], n, p=[0.8, 0.2]), "age": age,
        "age_cat": np.where(age < 25, "Less than 25",
                            np.where(age > 45, "Greater than 45", "25 - 45")),
        "decile_score": decile, "high_risk": (decile >= 5).astype(int),
        "two_year_recid": recid,
    })


def _cfg(**kw) -> AuditConfig:
    base = dict(predictions="high_risk", scores="decile_score", target="two_year_recid",
                n_boot=50, intersections=False)
    return AuditConfig(**{**base, **kw})


# --------------------------------------------------------------------------- item 1


def test_decile_scores_are_not_probabilities_in_the_spec():
    _, spec, _ = resolve(compas_like(), None, _cfg())
    assert spec.scores_are_probabilities is False
    assert "scores are not probabilities: range 1–10" in spec.scores_how


def test_decile_scores_calibration_and_average_score_not_applicable():
    result = run_audit(None, compas_like(), _cfg())
    overall = result.overall.groups[0].metrics
    for key in ("mean_score", "calibration_gap"):
        assert overall[key].value is None
        assert overall[key].reason == FW.scores_not_probabilities("range 1–10")
    assert overall["auc"].value is not None and 0.5 < overall["auc"].value < 1
    assert not [c for c in result.verdict.checks if c.criterion == "calibration"]
    for table in result.fairness:
        for row in table.groups:
            assert "calibration_gap" not in row.metrics and "mean_score" not in row.metrics
            assert row.status != "ok" or row.metrics["auc"].value is not None
        assert FW.scores_not_probabilities("range 1–10") in " ".join(table.notes)
    fair006 = [f for f in result.findings if f.code == "FAIR006"]
    assert [f.outcome for f in fair006] == ["not_applicable"]
    assert "range 1–10" in fair006[0].message


def test_scores_in_unit_range_need_the_users_word():
    df = compas_like()
    df["p"] = (df.decile_score - 0.5) / 10
    _, spec, _ = resolve(df, None, _cfg(scores="p"))
    assert spec.scores_are_probabilities is False
    assert "--scores-are-probabilities" in spec.scores_how
    _, spec, _ = resolve(df, None, _cfg(scores="p", scores_are_probabilities=True))
    assert spec.scores_are_probabilities is True
    result = run_audit(None, df, _cfg(scores="p", scores_are_probabilities=True))
    assert result.overall.groups[0].metrics["calibration_gap"].value is not None
    assert [c for c in result.verdict.checks if c.criterion == "calibration"]


def test_saying_probabilities_of_scores_outside_unit_range_is_refused():
    with pytest.raises(InputError) as err:
        resolve(compas_like(), None, _cfg(scores_are_probabilities=True))
    assert str(err.value) == (
        "scores column 'decile_score' in data is said to hold probabilities "
        "(scores_are_probabilities) but its values run from 1 to 10 - expected values in "
        "[0, 1]; drop --scores-are-probabilities to audit them as a ranking only")


def test_model_probabilities_are_probabilities():
    df = compas_like()
    model = LogisticRegression().fit(df[["age", "decile_score"]], df.two_year_recid)
    _, spec, _ = resolve(df.drop(columns=["high_risk"]), model,
                         AuditConfig(target="two_year_recid", intersections=False))
    assert spec.scores_are_probabilities is True
    assert "predict_proba" in spec.scores_how


def test_scores_are_probabilities_in_audit_toml(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text("scores_are_probabilities = true\n", encoding="utf-8")
    assert load_config(path).scores_are_probabilities is True
    path.write_text('scores_are_probabilities = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


# --------------------------------------------------------------------------- item 2


def test_harmful_target_name_is_read_as_a_risk_flag():
    _, spec, _ = resolve(compas_like(), None, _cfg())
    assert spec.positive_label == "1"
    assert spec.positive_is == "harmful"
    assert "two_year_recid" in spec.positive_how and "recid" in spec.positive_how
    assert spec.positive_note is None


@pytest.mark.parametrize("name, meaning", [
    ("approved", "favourable"), ("loan_granted", "favourable"), ("was_hired", "favourable"),
    ("repaid", "favourable"), ("is_recid", "harmful"), ("two_year_recid", "harmful"),
    ("loan_default", "harmful"), ("isFraud", "harmful"), ("churned", "harmful"),
    ("reoffended", "harmful"), ("released", "favourable"), ("outcome", None), ("credit_risk", None),
    ("not_approved", None), ("approved_or_default", None),
])
def test_name_table(name, meaning):
    from audit._inputs.target import meaning_from_name

    got = meaning_from_name(name)
    assert (got[0] if got else None) == meaning


def test_neutral_name_takes_1_as_favourable_and_says_so():
    df = compas_like().rename(columns={"two_year_recid": "label"})
    _, spec, _ = resolve(df, None, _cfg(target="label"))
    assert spec.positive_is == "favourable"
    assert spec.positive_note == (
        "We read 1 in 'label' as the favourable outcome. If 1 is harmful (a risk flag), pass "
        "--positive-is harmful; or pass --positive-label 0 to audit 0 as the favourable "
        "outcome.")


def test_positive_is_option_wins_over_the_name():
    _, spec, _ = resolve(compas_like(), None, _cfg(positive_is="favourable"))
    assert (spec.positive_is, spec.positive_note) == ("favourable", None)
    assert "set by you" in spec.positive_how
    df = compas_like().rename(columns={"two_year_recid": "label"})
    prepared, spec, _ = resolve(df, None, _cfg(target="label", positive_is="Harmful"))
    assert (spec.positive_is, spec.positive_label) == ("harmful", "1")
    assert prepared.y.sum() == df.label.sum()  # the numbers do not change, only the words


def test_positive_is_checked(tmp_path):
    with pytest.raises(ConfigError) as err:
        AuditConfig().updated(positive_is="bad")
    assert "positive_is must be favourable or harmful, found 'bad'" in str(err.value)
    path = tmp_path / "audit.toml"
    path.write_text('positive_is = "harmful"\n', encoding="utf-8")
    assert load_config(path).positive_is == "harmful"
    assert AuditConfig().updated(positive_is="favorable").positive_is == "favourable"


def _text_target(values: tuple[str, str], name: str = "target") -> pd.DataFrame:
    df = compas_like()
    df[name] = np.where(df.two_year_recid == 1, values[0], values[1])
    df["pred"] = np.where(df.high_risk == 1, values[0], values[1])
    return df.drop(columns=["two_year_recid"])


@pytest.mark.parametrize("values, positive, meaning", [
    (("yes", "no"), "yes", "favourable"), (("True", "False"), "True", "favourable"),
    (("denied", "approved"), "approved", "favourable"), (("bad", "good"), "good", "favourable"),
    (("rejected", "accepted"), "accepted", "favourable"), (("fail", "pass"), "pass", "favourable"),
    (("Y", "N"), "Y", "favourable"),
])
def test_obvious_text_labels_are_picked(values, positive, meaning):
    df = _text_target(values)
    prepared, spec, _ = resolve(df, None, _cfg(target="target", predictions="pred"))
    assert (spec.positive_label, spec.positive_is) == (positive, meaning)
    assert prepared.y.sum() == (df.target == positive).sum()


def test_polar_text_labels_with_positive_is_harmful_take_the_harmful_label():
    df = _text_target(("denied", "approved"))
    _, spec, _ = resolve(df, None, _cfg(target="target", predictions="pred",
                                        positive_is="harmful"))
    assert (spec.positive_label, spec.positive_is) == ("denied", "harmful")


def test_yes_no_follows_the_name():
    df = _text_target(("yes", "no"), name="default")
    _, spec, _ = resolve(df, None, _cfg(target="default", predictions="pred"))
    assert (spec.positive_label, spec.positive_is) == ("yes", "harmful")


def test_unknown_text_labels_still_ask():
    df = _text_target(("low", "high"))
    with pytest.raises(InputError, match="which one is the favourable outcome"):
        resolve(df, None, _cfg(target="target", predictions="pred"))


def test_outcome_words():
    assert FW.outcome_words("harmful").verb == "flagged"
    assert FW.outcome_words("favourable").verb == "selected"
    assert FW.outcome_words("favourable", "approved").verb == "approved"
    assert FW.outcome_words("harmful", "approved").verb == "approved"
    assert FW.outcome_words(None).verb == "selected"
    assert "qualified" not in repr(FW.outcome_words("harmful"))


def test_model_without_target_says_what_1_means():
    df = compas_like()
    model = LogisticRegression().fit(df[["age", "decile_score"]], df.two_year_recid)
    _, spec, _ = resolve(df[["age", "decile_score", "race"]], model,
                         AuditConfig(intersections=False))
    assert spec.positive_is == "favourable"
    assert spec.positive_note.startswith("We read 1 (the model's positive class) as the "
                                         "favourable outcome.")


# --------------------------------------------------------------------------- command line


def test_cli_options_reach_the_config():
    from audit.cli import _overrides, run_cmd

    ctx = run_cmd.make_context("run", ["d.csv", "--predictions", "p", "--scores", "s",
                                       "--positive-is", "harmful",
                                       "--scores-are-probabilities"])
    over = _overrides(ctx.params)
    assert (over["positive_is"], over["scores_are_probabilities"]) == ("harmful", True)
    ctx = run_cmd.make_context("run", ["d.csv", "--predictions", "p"])
    over = _overrides(ctx.params)
    assert (over["positive_is"], over["scores_are_probabilities"]) == (None, None)


def test_cli_refuses_an_unknown_positive_is(refused, tmp_path):
    from conftest import outs

    data = tmp_path / "d.csv"
    compas_like().to_csv(data, index=False)
    refused(["run", data, "--predictions", "high_risk", "--positive-is", "maybe",
             *outs(tmp_path)],
            "positive_is must be favourable or harmful, found 'maybe'")


def test_cli_refuses_probabilities_outside_unit_range(refused, tmp_path):
    from conftest import outs

    data = tmp_path / "d.csv"
    compas_like().to_csv(data, index=False)
    refused(["run", data, "--predictions", "high_risk", "--scores", "decile_score",
             "--scores-are-probabilities", *outs(tmp_path)],
            "but its values run from 1 to 10 - expected values in [0, 1]")


def test_threshold_on_a_decile_scores_column():
    df = compas_like().assign(high_risk=0)
    cfg = AuditConfig().updated(scores="decile_score", threshold=5, target="two_year_recid",
                                predictions="high_risk", intersections=False)
    prepared, spec, _ = resolve(df, None, cfg)
    assert prepared.y_pred.sum() == (df.decile_score >= 5).sum() > 0
    assert spec.prediction_source == "column 'decile_score' ≥ 5"
    assert spec.scores_are_probabilities is False
    with pytest.raises(ConfigError, match="threshold must be a probability between 0 and 1"):
        AuditConfig().updated(threshold=5)
    with pytest.raises(ConfigError, match="threshold must be a finite number on the scale"):
        AuditConfig().updated(scores="decile_score", threshold=float("nan"))
