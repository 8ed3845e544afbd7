"""Sentences of the interpretability-vs-complexity result, made from facts.

The components' titles, meanings and formula texts, the notes on what was measured
(``Component.note``, ``Component.reason``, ``Complexity.notes``), the baselines'
names, the "why not applicable" reasons and the verdict sentence.  Every string here
is part of the JSON contract: change one and the golden audit.json changes.

May import: ``audit._result`` and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence

# --------------------------------------------------------------------------- components

#: Title, meaning and formula text of each component, by key.
COMPONENT_TEXT: dict[str, tuple[str, str, str]] = {
    # key: (title, meaning, formula)
    "effective_features": (
        "Effective features",
        (
            "How many features a reader has to keep in mind: the fewest features that together "
            "carry 90% of the model's total attribution (mean absolute SHAP value)."
        ),
        "smallest k such that the k largest mean |SHAP| values sum to >= 90% of the total",
    ),
    "non_additivity": (
        "Non-additivity",
        (
            "How much of the model's behaviour comes from features acting together (interactions) "
            "rather than one at a time: the share of the model's output that the best "
            "interaction-free (additive) model cannot reproduce."
        ),
        (
            "1 - R^2_additive / R^2_reference, where R^2_additive is the held-out R^2 of a purely "
            "additive surrogate f1(x1) + ... + fp(xp) fitted to the model's output (log-odds for "
            "classifiers, prediction for regression) - a gradient-boosted model whose trees may each "
            "use one feature only - and R^2_reference is the best held-out R^2 of any surrogate "
            "(the same booster with interactions allowed, the additive one, the linear one), which "
            "removes the surrogates' own estimation error; if R^2_reference < 0.5 the plain "
            "1 - R^2_additive is reported"
        ),
    ),
    "non_linearity": (
        "Non-linearity",
        (
            "How far the model is from a straight-line (weighted-sum) rule: the share of its output "
            "that the best linear model cannot reproduce."
        ),
        (
            "1 - R^2_linear / R^2_reference, where R^2_linear is the held-out R^2 of a ridge "
            "regression on one-hot encoded, standardised features fitted to the model's output "
            "(log-odds for classifiers, prediction for regression) and R^2_reference is as for "
            "non-additivity"
        ),
    ),
    "size": (
        "Size",
        (
            "How much there is to read: leaves over all trees for tree ensembles, non-zero "
            "coefficients for linear models, fitted parameters otherwise."
        ),
        (
            "sum of leaves over all trees (= trees x mean leaves per tree); count of non-zero "
            "coefficients; or count of fitted numeric parameters"
        ),
    ),
    "fidelity": (
        "Surrogate fidelity",
        (
            "How well a decision tree of depth 3 (at most 8 rules, readable at a glance) can mimic "
            "the model's decisions on rows it did not see."
        ),
        (
            "held-out accuracy of a depth-3 decision tree trained to reproduce the model's 0/1 "
            "predictions (classifiers) or held-out R^2 against its predictions (regression)"
        ),
    ),
}

#: Reason of a component whose computation gave NaN or an infinity.
NON_FINITE = "the computation gave a non-finite number"


def size_unknown(note: str) -> str:
    """Note of a shape component scored without a size: the full penalty applies."""
    return f"{note}; size unknown, so the full shape penalty applies".lstrip("; ")


# --------------------------------------------------------------------------- effective features

#: Where the audited model's mean |SHAP| values come from.
SHAP_FROM_EXPLANATION = "global mean |SHAP| per feature supplied by the explanation stage"
#: Where a linear baseline's mean |SHAP| values come from.
SHAP_LINEAR_BASELINE = "exact linear SHAP of the baseline, summed over each feature's columns"
#: Where a tree baseline's mean |SHAP| values come from.
SHAP_TREE_BASELINE = "exact path-dependent tree SHAP of the baseline (log-odds for classifiers)"
#: Reason when the explanation stage supplied no SHAP values.
NO_SHAP = "global SHAP values were not available, so effective features were not measured"
#: Reason when every supplied SHAP value was NaN or infinite.
NO_FINITE_SHAP = "no finite SHAP values were supplied"


def effective_note(source: str, k: int, n_features: int) -> str:
    """Note of the effective-features component: how many features carry 90%."""
    return f"{source}; {k} of {n_features} features carry 90% of total mean |SHAP|"


def all_shap_zero(source: str) -> str:
    """Note of the effective-features component when every SHAP value is zero."""
    return f"{source}; every SHAP value is zero (the output does not depend on any feature)"


# --------------------------------------------------------------------------- surrogates


def too_few_surrogate_rows(n: int, min_rows: int) -> str:
    """Reason the surrogate components were not measured: too few rows."""
    return f"only {n} rows; at least {min_rows} are needed to fit and check surrogates"


#: Note of non-additivity and non-linearity when the model's output is constant.
CONSTANT_OUTPUT = "the model's output is constant on these rows, which is exactly additive and linear"
#: Reason non-additivity and non-linearity were not measured: constant held-out output.
CONSTANT_HELD_OUT = "the model's output is constant on the held-out rows"


def relative_to_reference(r2_ref: float) -> str:
    """How the shape shares were normalised: by the best surrogate's R^2."""
    return f"relative to the best surrogate's R^2 = {r2_ref:.3f}"


def unnormalised(r2_ref: float) -> str:
    """How the shape shares were computed when no surrogate fits well: plain 1 - R^2."""
    return (
        f"no surrogate reproduces the output well (best R^2 = {r2_ref:.3f}), so the "
        "plain unexplained share 1 - R^2 is reported"
    )


def non_additivity_note(r2_add: float, r2_full: float, how: str) -> str:
    """Note of the non-additivity component: the surrogates' held-out R^2."""
    return (
        f"additive surrogate held-out R^2 = {r2_add:.3f}, with interactions allowed "
        f"R^2 = {r2_full:.3f}; {how}"
    )


def non_linearity_note(r2_lin: float, how: str) -> str:
    """Note of the non-linearity component: the linear surrogate's held-out R^2."""
    return f"linear surrogate held-out R^2 = {r2_lin:.3f}; {how}"


def fidelity_binary_note(accuracy: float, majority: float) -> str:
    """Note of the fidelity component of a classifier: agreement with the model."""
    return (
        f"the depth-3 tree matches {accuracy:.1%} of the model's held-out decisions "
        f"(always predicting the model's more frequent decision would match {majority:.1%})"
    )


#: Note of a regression model's fidelity when its predictions are constant.
CONSTANT_PREDICTIONS = "the model's predictions are constant, which a depth-3 tree reproduces exactly"


def fidelity_regression_note(r2: float) -> str:
    """Note of the fidelity component of a regression model: the tree's held-out R^2."""
    return f"depth-3 tree held-out R^2 = {r2:.3f} against predictions"


# --------------------------------------------------------------------------- model output

#: What "the model's output" was for a regression model.
OUTPUT_PREDICT = "the model's predict() output"
#: What "the model's output" was for a classifier with a usable decision_function.
OUTPUT_DECISION_FUNCTION = "the model's decision_function() (log-odds or margin)"
#: What "the model's output" was for a classifier with neither score method.
OUTPUT_LABELS = "the model's 0/1 predictions (it has neither decision_function nor predict_proba)"


def output_logit(eps: float) -> str:
    """What "the model's output" was for a classifier scored by predict_proba()."""
    return f"the logit of predict_proba() clipped to [{eps}, {1 - eps}]"


# --------------------------------------------------------------------------- size


def size_trees(what: str, n_trees: int, leaves: int) -> str:
    """Size note of a tree model: trees and leaves."""
    per = leaves / n_trees if n_trees else 0.0
    return f"{what}: {n_trees:,} trees, {leaves:,} leaves in total ({per:.1f} per tree)"


def size_linear_booster(nonzero: int, total: int) -> str:
    """Size note of an XGBoost linear booster: non-zero weights."""
    return f"XGBoost linear booster: non-zero weights: {nonzero} of {total}"


def size_submodels(what: str, n_models: int) -> str:
    """Size note of an ensemble of countable sub-models."""
    return f"{what}: sum over {n_models} sub-models"


def size_coefficients(nonzero: int, total: int) -> str:
    """Size note of a linear model: non-zero coefficients."""
    return f"non-zero coefficients: {nonzero} of {total} (intercept not counted)"


def size_network(what: str, n_params: int) -> str:
    """Size note of a neural network: weights and biases."""
    return f"{what}: {n_params:,} weights and biases"


def size_neighbours(what: str, n_rows: int, n_features: int) -> str:
    """Size note of a nearest-neighbours model: the stored training rows."""
    return f"{what}: {n_rows:,} stored training rows x {n_features} features"


def size_fitted_values(what: str, total: int, attributes: Sequence[str]) -> str:
    """Size note of any other model: its fitted numeric values (first five attributes named)."""
    return f"{what}: {total:,} fitted numeric values ({', '.join(attributes[:5])})"


def size_uncountable(description: str) -> str:
    """Reason the size of a model was not counted."""
    return f"{description}: no fitted structure the audit knows how to count"


# --------------------------------------------------------------------------- baselines

#: Plain name of each transparent baseline, by (key, task).
BASELINE_NAME: dict[tuple[str, str], str] = {
    ("linear", "binary"): "logistic regression, L2-regularised (C = 1) on one-hot encoded, "
    "standardised features",
    ("linear", "regression"): "ridge regression (alpha = 1), on one-hot encoded, standardised "
    "features",
    ("tree", "binary"): "decision tree of depth 3 (at most 8 rules)",
    ("tree", "regression"): "regression tree of depth 3 (at most 8 rules)",
}

#: Subject of the audited model's interpretability.
MODEL_SUBJECT = "audited model"
#: Reason the audited model has no score.
NO_COMPONENT = "no component could be measured"
#: Reason attached to a baseline whose solver warned.
NOT_CONVERGED = "the solver did not fully converge"


def baseline_subject(key: str) -> str:
    """Subject of a baseline's interpretability, e.g. "linear baseline"."""
    return f"{key} baseline"


# --------------------------------------------------------------------------- notes

#: Label of each comparison metric, by key.
METRIC_LABEL: dict[str, str] = {"auc": "AUC", "accuracy": "accuracy", "r2": "R²"}

#: Caveat attached to the model's metric, which is measured on possibly seen rows.
IN_SAMPLE_NOTE = (
    "The audited model may have been trained on some of these rows, which would flatter its "
    "metric here; the baselines are always scored on rows they did not see (cross-validation). "
    "A small advantage of the model may therefore be an in-sample artefact."
)


def subsample_note(n: int, n_total: int, seed: int) -> str:
    """Note when the rows were subsampled."""
    return f"Measured on a random subsample of {n:,} of {n_total:,} rows (seed {seed})."


def unmeasured_note(titles: Sequence[str]) -> str:
    """Note naming the model's components that could not be measured."""
    return "Not measured for the model, so left out of every score: " + ", ".join(titles) + "."


def baseline_lacks_note(key: str, missing: Sequence[str]) -> str:
    """Note naming the components a baseline's score leaves out."""
    return f"The {key} baseline's score leaves out components it lacks: " + ", ".join(missing) + "."


# --------------------------------------------------------------------------- not applicable

#: Why there is no comparison: the data has no target.
NO_TARGET = "the data has no target column"
#: Why there is no comparison: the target is constant.
CONSTANT_TARGET = "the target is constant"


def rare_class(minority: int, cv: int) -> str:
    """Why there is no comparison: the rarer class has fewer rows than folds."""
    return f"the rarer class has only {minority} rows, fewer than the {cv} cross-validation folds"


def too_few_cv_rows(n: int, cv: int) -> str:
    """Why there is no comparison: too few rows for the folds."""
    return f"only {n} rows for {cv}-fold cross-validation"


def model_metric_undefined(metric_label: str) -> str:
    """Why there is no comparison: the model's metric is undefined."""
    return f"the model's {metric_label} is undefined on these rows"


def baseline_metric_undefined(metric_label: str) -> str:
    """Why there is no comparison: every baseline's metric is undefined."""
    return f"the baselines' {metric_label} is undefined on these rows"


def score_text(score: float | None) -> str:
    """An interpretability score as "72/100", or "n/a"."""
    return "n/a" if score is None else f"{score:.0f}/100"


def not_applicable_verdict(reason: str, model_score: float | None) -> str:
    """Verdict when the model cannot be compared with a baseline."""
    return (
        f"{reason[0].upper()}{reason[1:]}, so the model cannot be compared with a "
        f"transparent baseline; its interpretability is {score_text(model_score)}."
    )


# --------------------------------------------------------------------------- the retrained copy


def copy_no_time(seconds: float) -> str:
    """Why the model was not retrained: no time allowed."""
    return f"no time was allowed for retraining a copy of the model ({seconds:g} s)"


def copy_not_cloneable(error: str) -> str:
    """Why the model was not retrained: it cannot be copied."""
    return f"the model cannot be copied for retraining (sklearn.base.clone failed: {error})"


def copy_too_slow(n_folds: int, seconds: float) -> str:
    """Why the model was not retrained: the folds would take longer than allowed."""
    return (f"retraining a copy of the model on each of the {n_folds} folds would take longer "
            f"than the {seconds:.0f} s allowed (raise --budget to allow it)")


def copy_failed(error_type: str, error: str) -> str:
    """Why the model was not retrained: a fit or its scoring raised."""
    return f"retraining a copy of the model failed ({error_type}: {error})"


#: Why the model was not retrained: the verdict would not change.
COPY_NOT_NEEDED = (
    "not needed: even on the audit rows, which can only flatter the model (it may have been "
    "trained on them), it does not score enough above the baseline to change the verdict"
)


def metric_rows_note(why_not: str) -> str:
    """Caveat: the comparison used the model on the audit rows, and why no copy was made."""
    return ("The comparison uses the model's metric on the audit rows; it was not retrained "
            f"and cross-validated like the baselines: {why_not.strip().rstrip('.')}.")


# --------------------------------------------------------------------------- verdict


def metric_phrase(gain: float, metric_label: str) -> str:
    """The gain as a difference in the metric: "0.026 higher AUC than", "0.075 lower R² than".

    >>> metric_phrase(0.026, "AUC"), metric_phrase(-0.0754, "R²"), metric_phrase(0.0002, "AUC")
    ('0.026 higher AUC than', '0.075 lower R² than', 'about the same AUC as')
    """
    if abs(gain) < 0.0005:
        return f"about the same {metric_label} as"
    return f"{abs(gain):.3f} {'higher' if gain > 0 else 'lower'} {metric_label} than"


def comparison_context(
    metric_label: str,
    model_metric: float,
    baseline_metric: float,
    baseline_key: str,
    baseline_name: str,
    n_rows: int,
    cv: int | None = None,
) -> str:
    """The parenthesis giving both metrics and the rows they were measured on.

    ``cv`` is the number of folds when the model's metric is its retrained copy's
    (cross-validated on the baselines' folds); ``None`` when it is the given model's
    on the audit rows.
    """
    if cv is not None:
        return (
            f" ({metric_label} {model_metric:.3f} for a copy of the model retrained on each "
            f"fold vs {baseline_metric:.3f} for the {baseline_key} baseline, a {baseline_name}, "
            f"both cross-validated on the same {cv} folds of {n_rows:,} rows)"
        )
    return (
        f" ({metric_label} {model_metric:.3f} on the audit rows vs {baseline_metric:.3f} "
        f"cross-validated for the {baseline_key} baseline, a {baseline_name}, on the same "
        f"{n_rows:,} rows)"
    )


#: Caveat appended to the verdict when the model, measured on the audit rows, is ahead.
GAIN_CAVEAT = (" The model was measured on the audit rows, which it may have been trained on, "
               "so its gain may be optimistic.")


def overlap_note(metric_label: str, on_rows: float, cross_validated: float) -> str:
    """The model does far better on the audit rows than its retrained copy on unseen rows."""
    return (
        f"The model reaches {metric_label} {on_rows:.3f} on the audit rows but "
        f"{cross_validated:.3f} when a copy is retrained and scored on rows it did not see: it "
        "was probably trained on some of these rows, so its numbers on them (here and "
        "elsewhere in this audit) are optimistic. The comparison uses the retrained copy."
    )


#: Note on the model's metric when the comparison used its retrained copy.
CROSS_VALIDATED_NOTE = (
    "The comparison uses a copy of the model retrained on the same folds as the baselines, "
    "so both are scored on rows they did not see; the model's own metric on the audit rows is "
    "shown for reference."
)

#: How each case of the decision ends, after the metric comparison.
_CONCLUSION = {
    "clear_gain": "the gain is large enough to justify the opacity.",
    "some_gain": "review whether the gain justifies the opacity.",
    "no_gain": "its extra complexity does not pay for itself - consider the transparent model.",
}


def _simpler_but_worse(phrase: str, context: str, ms_text: str, bs_text: str,
                       clearer: bool) -> str:
    """The model is no more opaque than the baseline but scores lower."""
    if clearer:
        return (f"The model is no more complex than a transparent baseline ({ms_text} vs "
                f"{bs_text}), but reaches {phrase} the baseline{context}: the baseline is both "
                "clearer and better.")
    return (f"The model is simpler than a transparent baseline ({ms_text} vs {bs_text}), but "
            f"reaches {phrase} the baseline{context}: the baseline is better; weigh the loss "
            "against the simplicity.")


def _withheld(phrase: str, context: str, why: str | None) -> str:
    """The gain could not be confirmed like with like, so no verdict."""
    because = f" ({why.strip().rstrip('.')})" if why else ""
    return (f"The model reaches {phrase} a transparent baseline{context}, but that gain was "
            "measured on rows the model may have been trained on, and a copy retrained on the "
            f"baselines' folds could not confirm it{because}. A gain this large is what overlap "
            "between training and audit rows looks like, so no verdict is given: audit the "
            "model on rows it was not trained on, or allow the retrained copy.")


def verdict(
    case: str,
    *,
    phrase: str,
    context: str,
    model_score: float | None,
    baseline_score: float | None,
    gain: float,
    cross_validated: bool = False,
    why_not_cross_validated: str | None = None,
) -> str:
    """The verdict sentence of one case of the decision (see ``audit._complexity.decision``).

    ``case`` is ``"no_scores"``, ``"not_more_opaque"``, ``"simpler_but_worse"``,
    ``"unconfirmed_gain"``, ``"clear_gain"``, ``"some_gain"`` or ``"no_gain"``;
    ``phrase`` and ``context`` come from :func:`metric_phrase` and
    :func:`comparison_context`. ``cross_validated`` says whether the model's metric
    is its retrained copy's (then no in-sample caveat is needed).
    """
    ms_text, bs_text = score_text(model_score), score_text(baseline_score)
    if case == "no_scores":
        sentence = (
            f"The model reaches {phrase} a transparent baseline{context}, but the "
            "interpretability scores could not be computed, so the trade-off cannot be judged."
        )
    elif case == "not_more_opaque":
        sentence = (
            f"The model is about as interpretable as a transparent baseline "
            f"({ms_text} vs {bs_text}), so it has no extra opacity to justify; it reaches "
            f"{phrase} the baseline{context}."
        )
    elif case == "simpler_but_worse":
        clearer = model_score is None or baseline_score is None or baseline_score >= model_score
        sentence = _simpler_but_worse(phrase, context, ms_text, bs_text, clearer)
    elif case == "unconfirmed_gain":
        return _withheld(phrase, context, why_not_cross_validated)
    else:
        sentence = (
            f"The model reaches {phrase} a transparent baseline{context}, at "
            f"interpretability {ms_text} vs {bs_text}; {_CONCLUSION[case]}"
        )
    return sentence + (GAIN_CAVEAT if gain > 0 and not cross_validated else "")


# --------------------------------------------------------------------------- report headlines

#: One short plain sentence per outcome (the report's complexity section).
HEADLINE: dict[str, str] = {
    "pays_for_itself": "The model is not more complex than it needs to be.",
    "review": "A person should check whether the model's complexity is worth it.",
    "does_not_pay": "A simpler model that people can read would do about as well.",
    "simpler_but_worse": "A simple model that people can read in full does better than this one.",
    "withheld": "We cannot tell whether the model's complexity is worth it.",
    "not_applicable": "This comparison could not be made.",
}


def summary_next(outcome: str) -> str:
    """The summary's next step for an outcome the reader must act on."""
    if outcome == "withheld":
        return ("Next: audit the model on rows it was not trained on, or allow the retrained "
                "copy (see “Is the complexity worth it?”).")
    return "Next: see “Is the complexity worth it?” and consider the transparent baseline."
