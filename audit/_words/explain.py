"""Sentences of the SHAP explanation, made from facts.

The sampling description (``Explanation.sampling``), the output units
(``Explanation.units``), the notes on which explainer ran and why
(``Explanation.note``), the "why no value" reasons of groups and gaps, and the
technical driver sentence (``DriverSummary.sentence``).  Every string here is part
of the JSON contract: change one and the golden audit.json changes.
(``EXPLAINER_DESCRIPTIONS`` is data of the result and lives in
``audit._result.explanation``.)

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._result.explanation import DriverItem
from .numbers import sig, sig_span

# --------------------------------------------------------------------------- sampling


def sampling_all_rows(n_rows: int, weighted: bool = False) -> str:
    """``Explanation.sampling`` when every row (of the audit's rows or sample) is explained.

    >>> sampling_all_rows(4)
    'all 4 rows explained (no sampling)'
    """
    if weighted:
        return (f"all {n_rows} rows of the engine's sample explained; means are weighted "
                "back to the whole table (the sample holds extra rows of small groups)")
    return f"all {n_rows} rows explained (no sampling)"


def sampling_stratified(
    n_sampled: int,
    n_rows: int,
    strata: Sequence[str],
    n_cells: int,
    min_per_group: int,
    weighted: bool,
    missing_cells: int,
) -> str:
    """``Explanation.sampling`` of a stratified sample: size, strata, weighting.

    >>> sampling_stratified(40, 100, ["sex"], 2, 30, False, 0)  # doctest: +NORMALIZE_WHITESPACE
    '40 of 100 rows, stratified by sex (2 cells; each group has at least min(its size, 30) rows);
     proportional allocation, so no reweighting is needed'
    """
    names = ", ".join(strata) if strata else "nothing"
    return (
        f"{n_sampled} of {n_rows} rows, stratified by {names} "
        f"({n_cells} cells; each group has at least min(its size, {min_per_group}) rows); "
        + (
            "means are weighted back to the population (weights N_cell/n_cell)"
            if weighted
            else "proportional allocation, so no reweighting is needed"
        )
        + (f"; {missing_cells} tiny cells have no sampled row" if missing_cells else "")
    )


def _seconds(x: float) -> str:
    """Estimated seconds in words: two significant figures, thousands separated.

    >>> [_seconds(v) for v in (0.0123, 0.42, 7.25, 151.3, 12345.6)]
    ['0.012 s', '0.42 s', '7.2 s', '150 s', '12,000 s']
    """
    rounded = float(f"{x:.2g}")
    return f"{rounded:,.0f} s" if rounded >= 100 else f"{rounded:g} s"


def sample_reason(basis: str, n_sample: int, n_rows: int, seconds: float | None,
                  min_rows: int, asked: int | None = None, estimate: float | None = None,
                  sample_estimate: float | None = None) -> str:
    """``Explanation.sample_reason``: how many rows were explained, of how many, and why.

    ``estimate`` / ``sample_estimate``: the cost model's seconds for every row / for the
    rows explained (never a measured time, so the sentence is the same on every machine).

    >>> sample_reason("all", 6000, 6000, 60.0, 200, estimate=0.42)
    ... # doctest: +NORMALIZE_WHITESPACE
    "all 6,000 rows explained: the cost model estimates 0.42 s for all of them, within half
     the SHAP stage's time budget (60 s), so the averages and gaps are the full-data figures"
    >>> sample_reason("requested", 2000, 9000, None, 200, asked=2000)
    '2,000 of 9,000 rows explained, as asked (explain_rows = 2000)'
    """
    of = f"{n_sample:,} of {n_rows:,} rows explained"
    half = f"half the SHAP stage's time budget ({seconds or 0:.0f} s)"
    est = (f"the cost model estimates {_seconds(estimate or 0.0)} for all {n_rows:,} rows"
           " (from the model's structure and the data's shape; nothing is timed)")
    choose = "; set explain_rows (--explain-rows) to choose the number"
    if basis == "all":
        return (f"all {n_rows:,} rows explained: the cost model estimates "
                f"{_seconds(estimate or 0.0)} for all of them, within {half}, so the "
                "averages and gaps are the full-data figures")
    if basis == "few":
        return (f"all {n_rows:,} rows explained (no more than the {min_rows:,}-row minimum), so "
                "the averages and gaps are the full-data figures")
    if basis == "budget":
        return (f"{of}: {est}, more than {half}; {n_sample:,} is the largest size on the 1-2-5 "
                f"ladder (..., 1,000, 2,000, 5,000, ...) whose estimate fits it{choose}")
    if basis == "minimum":
        return (f"{of}, the minimum: {est}, and fewer than {min_rows:,} fit {half}; the "
                f"{n_sample:,} rows are estimated at {_seconds(sample_estimate or 0.0)}{choose}")
    asked = n_sample if asked is None else asked
    if n_sample >= n_rows:
        return f"all {n_rows:,} rows explained, as asked (explain_rows = {asked})"
    return f"{of}, as asked (explain_rows = {asked})"


def shap_step(n_sample: int, n_rows: int, basis: str, sample_estimate: float | None) -> str:
    """The progress display's SHAP step: the rows it explains and, when even the minimum is
    estimated beyond the stage's time budget (a large model), that estimate.

    >>> shap_step(200, 100_000, "minimum", 170.0)
    ... # doctest: +NORMALIZE_WHITESPACE
    'Explaining the model with SHAP on 200 of 100,000 rows, the minimum (estimated at
     170 s, beyond the time budget: a large model; --explain-rows chooses fewer)'
    """
    rows = f"all {n_rows:,} rows" if n_sample >= n_rows else f"{n_sample:,} of {n_rows:,} rows"
    text = f"Explaining the model with SHAP on {rows}"
    if basis == "minimum":
        text += (f", the minimum (estimated at {_seconds(sample_estimate or 0.0)}, beyond the "
                 "time budget: a large model; --explain-rows chooses fewer)")
    return text


def gap_intervals(n_boot: int, max_rows: int) -> str:
    """``Explanation.gap_intervals``: how the gap decompositions' intervals were obtained.

    >>> gap_intervals(200, 5000)  # doctest: +NORMALIZE_WHITESPACE
    "95% percentile intervals from 200 bootstrap resamples of each side's explained rows; a
     side with more than 5,000 rows draws its resampled means from their normal approximation
     (central limit theorem) instead of resampling every row"
    """
    if n_boot <= 0:
        return "no intervals (no bootstrap resamples asked for)"
    return (f"95% percentile intervals from {n_boot} bootstrap resamples of each side's "
            f"explained rows; a side with more than {max_rows:,} rows draws its resampled "
            "means from their normal approximation (central limit theorem) instead of "
            "resampling every row")


# --------------------------------------------------------------------------- units


def output_units(regression: bool, space: str, positive_label: object | None) -> str:
    """``Explanation.units``: what the explained output measures, in words.

    >>> output_units(False, "log-odds", 1)
    "log-odds of predicting '1'"
    """
    if regression:
        return "units of the model's prediction"
    label = f"'{positive_label}'" if positive_label is not None else "the positive class"
    if space == "log-odds":
        return f"log-odds of predicting {label}"
    if space == "probability":
        return f"probability of predicting {label}"
    return f"decision score for {label}"


# --------------------------------------------------------------------------- explainer notes

#: name of each exact explainer tried first, by kind (in the notes)
FIRST_TRY = {"linear": "exact linear SHAP", "tree": "path-dependent TreeSHAP"}


def untraceable_note(first_try: str, why: str) -> str:
    """Note: the exact explainer was skipped because a pipeline step cannot be traced back."""
    return (
        f"{first_try} was not used: a preprocessing step cannot be traced back to the "
        f"original columns ({why}); a model-agnostic explainer was used instead"
    )


def explainer_failed_note(first_try: str, error_type: str) -> str:
    """Note: the exact explainer raised an error, so the model-agnostic one ran."""
    return (
        f"{first_try} failed on this model ({error_type}); "
        "a model-agnostic explainer was used instead"
    )


def tree_shap_failed(error_type: str, message: str) -> str:
    """Error: a tree model's TreeSHAP raised; there is no model-agnostic fallback for trees.

    >>> tree_shap_failed("ValueError", "bad input")  # doctest: +NORMALIZE_WHITESPACE
    'path-dependent TreeSHAP failed on this tree model (ValueError: bad input); the explanation
     is not given rather than replaced by sampled values'
    """
    first = " ".join(message.split())[:200]
    return (
        f"path-dependent TreeSHAP failed on this tree model ({error_type}: {first}); "
        "the explanation is not given rather than replaced by sampled values"
    )


def tree_shap_not_additive(explainer: str, max_error: float, units: str, tolerance: float) -> str:
    """Error: a tree model's TreeSHAP values do not add up to the model's output."""
    return (
        f"path-dependent TreeSHAP ({explainer}) gave attributions that do not add up to the "
        f"model's own output (largest error {max_error:.3g} {units}; allowed {tolerance:.1g}); "
        "the explanation is not given rather than replaced by sampled values"
    )


def xgboost_native_note(why: str) -> str:
    """Note: XGBoost's own float32 TreeSHAP ran because ours cannot read the model."""
    return (
        f"XGBoost's own TreeSHAP (pred_contribs, computed in float32) was used: the audit's "
        f"float64 TreeSHAP does not read this model ({why}); its attributions are checked "
        "against XGBoost's float32 output with a float32 allowance (1e-4 x the output's scale)"
    )


def lightgbm_native_note(why: str) -> str:
    """Note: LightGBM's own TreeSHAP ran because ours cannot read the model (or did not add up)."""
    return (
        f"LightGBM's own TreeSHAP (pred_contrib) was used: the audit's TreeSHAP does not "
        f"reproduce this model ({why}); both compute the same path-dependent values"
    )


def lightgbm_not_additive(max_error: float, tolerance: float) -> str:
    """Why: our TreeSHAP's values of a LightGBM model did not add up to its raw score."""
    return (f"its values did not add up to LightGBM's raw score: largest error "
            f"{max_error:.3g}, allowed {tolerance:.1g}")


def forest_native_note(max_error: float, tolerance: float) -> str:
    """Note: shap's TreeSHAP ran for a forest because ours did not add up to its output."""
    return (
        f"shap's TreeExplainer was used: the audit's TreeSHAP of this forest did not add up "
        f"to its output (largest error {max_error:.3g}, allowed {tolerance:.1g}); both "
        f"compute the same path-dependent values"
    )


def float32_rounding_note(max_diff: float, allowed: float, units: str) -> str:
    """Note: XGBoost's own float32 output and the float64 sum of its leaves, both measured.

    >>> float32_rounding_note(3.4e-6, 1.2e-4, "log-odds")  # doctest: +NORMALIZE_WHITESPACE
    "XGBoost computes the model's output in float32: on the explained rows it differs by at
     most 3.4e-06 log-odds from the float64 sum of the leaf values XGBoost routes each row to
     (float32 rounding allows up to 0.00012); the attributions add up to that float64 sum"
    """
    return (
        "XGBoost computes the model's output in float32: on the explained rows it differs by "
        f"at most {max_diff:.2g} {units} from the float64 sum of the leaf values XGBoost routes "
        f"each row to (float32 rounding allows up to {allowed:.2g}); the attributions add up "
        "to that float64 sum"
    )


def float32_output_off(diff: float, allowed: float, units: str) -> str:
    """Error: XGBoost's float32 output is further from its float64 leaf sum than rounding allows."""
    return (
        f"XGBoost's own output (float32) differs from the float64 sum of the leaf values it "
        f"routes the row to by {diff:.3g} {units}, more than float32 rounding allows "
        f"({allowed:.2g}), so attributions adding up to that sum would not explain the "
        "model's output; the explanation is not given rather than replaced by sampled values"
    )


def discarded_note(first_try: str, max_error: float, units: str, tolerance: float) -> str:
    """Note: the exact explainer's values failed the additivity check and were discarded."""
    return (
        f"{first_try} gave attributions that do not add up to the model's own "
        f"output (largest error {max_error:.3g} {units}; allowed {tolerance:.1g}), so they "
        "were discarded and a model-agnostic explainer was used instead"
    )


def not_additive_note(max_error: float) -> str:
    """Note: even the final attributions fail the additivity check."""
    return (
        f"the attributions do not add up to the model's output (largest error {max_error:.3g}); "
        "treat the explanation with caution"
    )


# --------------------------------------------------------------------------- reasons

#: ``GroupAttribution.reason`` of a group with no sampled row
GROUP_NOT_SAMPLED = "no rows of this group in the sample"

#: ``Estimate.reason`` of a gap or contribution when a side has fewer than 2 rows
NO_INTERVAL_FEW_ROWS = "fewer than 2 rows in a group: no interval"


def side_not_sampled(label: str, is_reference: bool) -> str:
    """Why a gap has no decomposition: the group (or the reference) has no sampled row.

    >>> side_not_sampled("f", True)
    "the reference group 'f' has no rows in the explanation sample"
    """
    who = f"the reference group '{label}'" if is_reference else f"'{label}'"
    return f"{who} has no rows in the explanation sample"


# --------------------------------------------------------------------------- drivers


def _driver_part(d: DriverItem) -> str:
    """One driver in the technical sentence: value, interval, percentage points (true
    minus signs, no negative zero)."""
    txt = f"{d.feature} {sig(d.contribution, 3, plus=True)}"
    if d.lo is not None and d.hi is not None:
        txt += f" (95% interval {sig_span(d.lo, d.hi)})"
    if d.pp is not None:
        txt += f", about {sig(d.pp, 2, plus=True)} pp"
    return txt


def driver_sentence(
    *,
    attribute: str,
    group: str,
    reference: str,
    units: str,
    gap: float,
    gap_pp: float | None,
    direction: str,
    drivers: Sequence[DriverItem],
) -> str:
    """``DriverSummary.sentence``: one group's gap and its top drivers, in technical terms.

    The arguments are the other fields of :class:`~audit._result.explanation.DriverSummary`,
    so a summary ``s`` is worded again by ``driver_sentence(attribute=s.attribute, ...)``.

    >>> d = DriverItem("income", -0.4, -0.5, -0.3, 0.8, -3.1, "lowers")
    >>> driver_sentence(attribute="sex", group="f", reference="m", units="log-odds",
    ...     gap=-0.5, gap_pp=-4.0, direction="lower", drivers=[d])  # doctest: +NORMALIZE_WHITESPACE
    "On sex, the mean model output for 'f' is 0.5 lower than for 'm' (log-odds), 4 percentage
     points of average score (mean predicted probability). Largest drivers: income −0.4 (95%
     interval −0.5 to −0.3), about −3.1 pp."
    """
    head = (
        f"On {attribute}, the mean model output for '{group}' is "
        f"{abs(gap):.3g} {direction} than for '{reference}' ({units})"
    )
    if gap_pp is not None:
        head += f", {abs(gap_pp):.3g} percentage points of average score (mean predicted probability)"
    parts = [_driver_part(d) for d in drivers]
    return head + (". Largest drivers: " + "; ".join(parts) + "." if parts else ".")
