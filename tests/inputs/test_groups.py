"""Protected-attribute detection and group building."""

from __future__ import annotations

import numpy as np
import pytest

from audit._inputs import groups as G


@pytest.mark.parametrize("name,family", [
    ("race", "race"), ("Ethnicity", "race"), ("applicant_sex", "gender"), ("Gender", "gender"),
    ("applicant_age", "age"), ("dateOfBirth", "age"), ("country_of_birth", "geography"),
    ("zip_code", "geography"), ("PostalCode", "geography"), ("mortgage", None),
    ("average_income", None), ("usage", None),
])
def test_family_of(name, family):
    assert G.family_of(name) == family


def test_small_regions_merge_and_reference_is_largest():
    labels = np.array(["A"] * 50 + ["B"] * 40 + ["C"] * 5 + ["D"] * 3 + [G.UNKNOWN] * 2,
                      dtype=object)
    g = G.make_grouping("geo", "geography", "zip", labels, how_found="", min_group_size=30,
                        merge_small=True)
    assert g.labels == ("A", "B", "other (2 regions)", G.UNKNOWN)
    assert g.members == {"other (2 regions)": ("C", "D")}
    assert g.labels[g.reference] == "A"
    assert np.bincount(g.codes).tolist() == [50, 40, 8, 2]
    assert [g.labels[c] for c in g.codes[[0, 50, 90, 95, 98]]] == [
        "A", "B", "other (2 regions)", "other (2 regions)", G.UNKNOWN]


def test_intersection_prefers_the_two_references_together():
    race = G.make_grouping("race", "race", "race", np.array(["W"] * 60 + ["B"] * 40, dtype=object),
                           how_found="", min_group_size=5, merge_small=False)
    sex = G.make_grouping("sex", "gender", "sex",
                          np.array((["F"] * 25 + ["M"] * 35) + (["F"] * 38 + ["M"] * 2),
                                   dtype=object), how_found="", min_group_size=5,
                          merge_small=False)
    assert (race.labels[race.reference], sex.labels[sex.reference]) == ("W", "F")
    both = G.intersect(race, sex, 5)
    # B × F (38) is the largest combination, but W × F pairs the two references
    assert both.labels[both.reference] == "W × F"
    assert both.labels == ("W × F", "W × M", "B × F", "other (1 combinations)")
    assert both.members == {"other (1 combinations)": ("B × M",)}
    assert np.bincount(both.codes).tolist() == [25, 35, 38, 2]
