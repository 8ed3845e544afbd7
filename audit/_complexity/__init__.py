"""Interpretability against complexity: is the model's extra complexity paying for itself?

Owns the score's components (effective features, non-additivity, non-linearity, size,
surrogate fidelity), cross-validated transparent baselines and the decision:

- ``assess``: :func:`assess_complexity`, the orchestrator (sample, model components,
  CV baselines, decide) and its input checks;
- ``coding``: feature coding and the model's continuous output;
- ``components``: the components' sub-scores, the surrogates and the combined score;
- ``size``: :func:`~audit._complexity.size.model_size`, what a reader has to read;
- ``baselines``: the cross-validated linear and depth-3 tree baselines;
- ``refit``: a copy of the model retrained on the baselines' folds (like with like),
  within a time allowance (``REFIT_SECONDS`` unless ``--budget`` sets it);
- ``decision``: does the gain over the best baseline pay for the opacity?

Result types, weights and the score formula live in ``audit._result.complexity``;
every sentence (component texts, notes, the verdict) in ``audit._words.complexity``.
May import: ``audit._result``, ``audit._words``, ``audit._inputs``, ``audit._errors``;
numpy, pandas, scikit-learn.
"""

from .assess import assess_complexity
from .refit import DEFAULT_SECONDS as REFIT_SECONDS

__all__ = ["REFIT_SECONDS", "assess_complexity"]
