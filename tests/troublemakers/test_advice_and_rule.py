"""Issue 10: one recommendation per flagged input, one proxy rule, geography is not a class.

* item 4: the advice for a flag is decided once, from how well the other inputs
  reveal the attribute without it; the flag's explanation, the troublemaker section
  and the summary all say the same thing;
* the proxy rule is defined once: the proxy table's "Proxy?" and the flags agree,
  and the AUC quoted for a flag is the one the rule used;
* a geography column is not called a protected attribute.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from audit._inputs.prepared import Grouping
from audit._result.audit import AuditResult
from audit._result.troublemakers import Flag, FlagThresholds, drop_advice, proxy_strength
from audit._troublemakers import assess_troublemakers

RACES = ("White", "Black", "Asian", "Hispanic", "Native", "Other")


def _data(n: int = 4000, seed: int = 0, leak: bool = False) -> tuple[pd.DataFrame, Grouping]:
    """``zip`` picks out Black applicants (and nobody else); with ``leak`` it tells every
    group apart and a second input, ``district``, carries the same signal, so dropping
    ``zip`` would not hide race."""
    rng = np.random.default_rng(seed)
    race = rng.choice(6, n, p=[0.3, 0.15, 0.15, 0.15, 0.1, 0.15])
    if leak:
        zone = np.where(rng.random(n) < 0.85, 2 * race + rng.integers(0, 2, n),
                        rng.integers(0, 12, n))
    else:
        zone = np.where(race == 1, rng.integers(0, 3, n), rng.integers(3, 12, n))
        zone = np.where(rng.random(n) < 0.1, rng.integers(0, 12, n), zone)
    X = pd.DataFrame({"zip": [f"Z{z:02d}" for z in zone], "income": rng.normal(size=n)})
    if leak:
        X["district"] = [f"D{z // 2}" for z in zone]
    g = Grouping("race", "race", ("race",), race, RACES, 0)
    return X, g


def _assess(X: pd.DataFrame, g: Grouping):
    shares = {"race": {"Black": {c: (0.7 if c == "zip" else 0.3 / (X.shape[1] - 1))
                                 for c in X.columns}}}
    return assess_troublemakers(
        None, X, X.assign(race=g.codes), [g], y=None, task="binary",
        criterion_outcomes={"race": {"demographic_parity": "fail"}},
        driver_shares=shares, what_if=False)


@pytest.fixture(scope="module")
def picked_out():
    return _assess(*_data())


# --------------------------------------------------------------------------- the proxy rule


def test_proxy_rule_is_the_larger_of_overall_and_one_group() -> None:
    assert proxy_strength(0.62, {"White": 0.55, "Black": 0.91}) == (0.91, "Black")
    assert proxy_strength(0.8, {"White": 0.7}) == (0.8, None)


def test_table_and_flags_use_the_same_rule(picked_out) -> None:
    """A feature that picks out one group is a proxy in the table exactly when it is
    flagged as one, and the flag quotes the AUC the rule used."""
    thr = picked_out.thresholds
    p = next(p for p in picked_out.proxies if p.feature == "zip")
    assert p.auc.value < thr.proxy_auc <= p.by_group["Black"]  # one group only
    assert p.strong and p.strength == pytest.approx(p.by_group["Black"])
    assert p.strength_group == "Black"
    flag = next(f for f in picked_out.flags if f.feature == "zip")
    assert flag.proxy_auc == pytest.approx(p.strength)
    assert flag.proxy_group == "Black"
    for q in picked_out.proxies:  # the table's "Proxy?" is the rule, for every pair
        assert q.strong == (q.strength is not None and q.strength >= thr.proxy_auc)
    assert "one group from everyone else" in picked_out.proxy_rule


# --------------------------------------------------------------------------- one recommendation


def test_recommendation_follows_the_evidence(picked_out) -> None:
    flag = next(f for f in picked_out.flags if f.feature == "zip")
    assert flag.recoverability_without is not None
    assert flag.recoverability_without < picked_out.thresholds.proxy_auc
    assert flag.recommendation == "drop_may_help"
    assert "rarely" not in flag.explanation and "may help" in flag.explanation

    leaky = _assess(*_data(leak=True))
    flag = next(f for f in leaky.flags if f.feature == "zip")
    assert flag.recoverability_without >= leaky.thresholds.proxy_auc
    assert flag.recommendation == "constrain_instead"
    assert "may help" not in flag.explanation and "unlikely to remove" in flag.explanation


def test_drop_advice_cases() -> None:
    assert drop_advice("proxy_driver", 0.52, 0.7) == "drop_may_help"
    assert drop_advice("proxy_unconfirmed", 0.9, 0.7) == "constrain_instead"
    assert drop_advice("proxy_driver", None, 0.7) == "unmeasured"
    assert drop_advice("direct_use", 0.5, 0.7) == "remove_or_justify"
    assert drop_advice("direct_use", 0.8, 0.7) == "remove_and_constrain"


def _with_flag(result: AuditResult, without: float) -> tuple[AuditResult, Flag]:
    tm = result.troublemakers
    assert tm is not None
    old = next(f for f in tm.flags if f.kind == "proxy_driver")
    flag = dataclasses.replace(old, recoverability_without=without,
                               recommendation=drop_advice(old.kind, without,
                                                          tm.thresholds.proxy_auc))
    flags = tuple(flag if f is old else f for f in tm.flags)
    return dataclasses.replace(result, troublemakers=dataclasses.replace(tm, flags=flags)), flag


@pytest.mark.parametrize(("without", "says", "never"), [
    (0.52, "may help", ("would not remove", "rarely")),
    (0.85, "would not remove", ("may help", "rarely")),
])
def test_summary_and_section_say_the_same(golden_json, without, says, never) -> None:
    from audit._report.sections.flags import flags_context
    from audit._report.sections.summary import other_headlines

    result, flag = _with_flag(AuditResult.from_dict(json.loads(golden_json.read_text("utf-8"))), without)
    nexts = [nxt for _, sentence, nxt in other_headlines(result) if flag.feature in sentence]
    assert nexts, other_headlines(result)
    ctx = flags_context(result)
    row = next(r for r in ctx["flags"] if r["feature"] == flag.feature
               and r["attribute"] == flag.attribute)
    for text in (nexts[0], row["advice"], " ".join(ctx["drop"])):
        assert says in text, text
        assert not any(w in text for w in never), text
    assert f"AUC {without:.2f}" in nexts[0] and f"AUC {without:.2f}" in row["advice"]


def test_old_file_without_recommendation_is_decided_the_same_way(golden_json) -> None:
    from audit._report.sections.summary import other_headlines

    result = AuditResult.from_dict(json.loads(golden_json.read_text("utf-8")))
    tm = result.troublemakers
    flag = next(f for f in tm.flags if f.kind == "proxy_driver")
    expected = drop_advice(flag.kind, flag.recoverability_without, tm.thresholds.proxy_auc)
    assert expected == "drop_may_help"  # the demo: without zip_code, race AUC 0.52
    nxt = next(n for _, s, n in other_headlines(result) if flag.feature in s)
    assert "may help" in nxt and "rarely" not in nxt


def test_predictions_only_advice_does_not_send_the_reader_to_the_what_if() -> None:
    from audit._words.troublemakers import advice_next, advice_plain

    f = Flag("zip", "race", "proxy_unconfirmed", "medium", 0.8, None, None, (), 0.55, "",
             "drop_may_help")
    for text in (advice_plain(f, can_retrain=False), advice_next(f, can_retrain=False)):
        assert "what-if" not in text and "model's owner" in text, text


# --------------------------------------------------------------------------- geography


def test_geography_input_is_not_called_a_protected_attribute() -> None:
    from audit._words.troublemakers import direct_use_explanation, flag_plain, labelled_inputs

    f = Flag("zip_code", "geography: zip_code", "direct_use", "high", None, None, None, (),
             0.5, "", "remove_or_justify")
    plain = flag_plain(f, None, "geography")
    text = direct_use_explanation("zip_code", "geography: zip_code", "geography", "60614",
                                  None, 0.5, "remove_or_justify")
    for t in (plain, text):
        assert "protected attribute" not in t and "geography" in t, t
    assert labelled_inputs([("age", "age"), ("zip_code", "geography")]) == \
        "age (protected) and zip_code (geography)"
    assert "protected attribute age itself" in direct_use_explanation(
        "age", "age", "age", "25–34", None, 0.5, "remove_or_justify")


def test_flag_thresholds_default_documented() -> None:
    assert FlagThresholds().proxy_auc == 0.70


def test_demo_report_names_zip_code_as_geography(golden_json) -> None:
    """The explanation lead and the summary say "age (protected) and zip_code (geography)"."""
    from audit._report.sections.explanations import explanation_context
    from audit._report.sections.summary import other_headlines

    result = AuditResult.from_dict(json.loads(golden_json.read_text("utf-8")))
    lead = " ".join(explanation_context(result)["lead"]).replace("\u2068", "").replace("\u2069", "")
    assert "age (protected) and zip_code (geography)" in lead, lead
    assert "themselves protected attributes" not in lead
    said = " ".join(s for _, s, _ in other_headlines(result)).replace("\u2068", "").replace(
        "\u2069", "")
    assert "zip_code (geography)" in said and "protected attributes as inputs" not in said


def test_predictions_only_section_addresses_the_models_owner(golden_json) -> None:
    """With recorded predictions only, the advice is for the model's owner, not a what-if
    the audit cannot run, and the rationale recorded in the JSON says the same."""
    from audit._report.sections.flags import flags_context

    result = AuditResult.from_dict(json.loads(golden_json.read_text("utf-8")))
    preds = dataclasses.replace(result, spec=dataclasses.replace(result.spec, mode="predictions"))
    ctx = flags_context(preds)
    assert ctx["top_term"]["plain"].startswith("Ask the model's owner to retrain")
    for row in ctx["flags"]:
        assert "what-if" not in row["advice"], row["advice"]

    X, g = _data(n=600)
    tm = assess_troublemakers(
        None, X.iloc[:, :0], X.assign(race=g.codes), [g], y=None, task="binary",
        criterion_outcomes={"race": {"demographic_parity": "fail"}}, driver_shares=None,
        what_if=False)
    assert tm.loss_terms and "the what-if does" not in tm.loss_terms[0].rationale
    assert "model's owner" in tm.loss_terms[0].rationale


def test_dropping_is_judged_by_the_same_rule_as_the_proxy() -> None:
    """Another input that picks out the same group (but nobody else) still reveals the
    attribute, so dropping the proxy is not advised to 'help'."""
    X, g = _data()
    rng = np.random.default_rng(5)
    inner = X["zip"].isin(["Z00", "Z01", "Z02"]).to_numpy()
    X["district"] = np.where(inner, "inner", rng.choice(["a", "b", "c"], len(X)))
    tm = _assess(X, g)
    flag = next(f for f in tm.flags if f.feature == "zip")
    assert flag.recoverability_without >= tm.thresholds.proxy_auc
    assert flag.recommendation == "constrain_instead"
