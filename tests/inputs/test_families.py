"""Intersections never cross an attribute with itself (issue 10, item 8).

``age`` and ``age_cat`` (or ``race`` and ``race_desc``, ``state`` and ``zip``) describe the
same thing: crossing them gives "age: age × age: age_cat", a table of empty combinations.
The rule is defined once (:func:`audit._inputs.groups.same_family`).  Group phrases read
for text band labels too ("people in age band 'Greater than 45'").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_outcome_meaning import compas_like

from audit import AuditConfig
from audit._inputs.groups import same_family
from audit._inputs.prepared import Grouping
from audit._inputs.spec import resolve
from audit._words import inputs as W
from audit._words.text import isolate


def _g(name: str, family: str, column: str) -> Grouping:
    return Grouping(name, family, (column,), np.zeros(3, dtype=np.int64), ("a", "b"), 0)


def test_same_family_rule():
    assert same_family(_g("age: age", "age", "age"), _g("age: age_cat", "age", "age_cat"))
    assert same_family(_g("geography: state", "geography", "state"),
                       _g("geography: zip", "geography", "zip"))
    assert same_family(_g("religion", "other", "religion"),
                       _g("religion_desc", "other", "religion_desc"))
    assert not same_family(_g("race", "race", "race"), _g("sex", "gender", "sex"))
    assert not same_family(_g("religion", "other", "religion"),
                           _g("disability", "other", "disability"))


def test_age_and_age_cat_are_not_crossed():
    prepared, spec, _ = resolve(compas_like(), None, AuditConfig(
        predictions="high_risk", target="two_year_recid", min_group_size=5))
    names = [g.name for g in prepared.groupings]
    assert "age: age" in names and "age: age_cat" in names
    assert "age: age × age: age_cat" not in names
    assert {"race × gender", "race × age: age", "race × age: age_cat", "gender × age: age",
            "gender × age: age_cat"} <= set(names)
    assert W.same_family_note([("age: age", "age: age_cat")]) in spec.notes


def test_same_family_note():
    assert W.same_family_note([("age: age", "age: age_cat"), ("race: race", "race: race_desc")]) \
        == ("Not crossed with each other, as each pair describes the same attribute: "
            "age: age with age: age_cat; race: race with race: race_desc.")


def test_age_band_phrases():
    assert W.age_people("people", "Greater than 45") == (
        "people in age band '" + isolate("Greater than 45") + "'")
    assert W.age_people("people", "25 - 45") == "people aged " + isolate("25 - 45")
    assert W.age_people("people", "25–34") == "people aged " + isolate("25–34")
    assert W.age_people("people", "<25") == "people under " + isolate("25")
    assert W.age_people("people", "65+") == "people aged " + isolate("65") + " and over"
    assert W.age_people("people", "40") == "people aged " + isolate("40")


def test_report_people_uses_the_age_phrase():
    from audit._words.report import people

    assert people("age", "Greater than 45", "people") == (
        "people in age band '" + isolate("Greater than 45") + "'")
    assert people("age", "25–34", "applicants") == "applicants aged " + isolate("25–34")


def test_geography_columns_are_not_crossed():
    df = compas_like().assign(state=lambda d: np.where(d.age % 2, "CA", "NY"),
                              zip=lambda d: np.where(d.age % 3, "94110", "10001"))
    prepared, _, _ = resolve(pd.DataFrame(df), None, AuditConfig(
        predictions="high_risk", target="two_year_recid", min_group_size=5))
    names = [g.name for g in prepared.groupings]
    assert "geography: state" in names and "geography: zip" in names
    assert not [n for n in names if "state" in n and "zip" in n]
