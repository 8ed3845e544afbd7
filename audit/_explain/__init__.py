"""SHAP explanations on every row or a stratified sample: exact per model, additive.

Owns, one module per step:

* ``budget``        how many rows to explain: every row when the SHAP stage's time
  budget allows it, by the cost model; else as many as fit;
* ``cost``          the cost model: estimated seconds from the trees' structure, the
  columns and the background, calibrated once (nothing timed: same size everywhere);
* ``sampling``      the stratified explanation sample and its Horvitz-Thompson weights;
* ``mapping``       pipeline steps, tracing transformed columns back to the user's
  features, and the numeric coding used by model-agnostic explainers;
* ``output``        the model output being explained and the kind of final estimator;
* ``explainers``    linear / tree / model-agnostic explainers, the additivity check
  and the fallbacks between them (``trees``: native TreeSHAP of each tree library,
  ``treeshap``: the compiled TreeSHAP kernel for HistGradientBoosting);
* ``attributions``  :func:`compute_attributions`, global importance, per-group means
  and the beeswarm plot data;
* ``gaps``          the exact decomposition of each gap into feature contributions,
  the driver summaries and :func:`driver_shares`;
* ``entry``         :func:`explain`, the entry point.

Sentences of the result come from ``audit._words.explain``.
May import: ``audit._result``, ``audit._words``, ``audit._inputs``, ``audit._errors``;
numpy, pandas, scipy, scikit-learn, shap.
"""

from .attributions import Attributions, compute_attributions
from .budget import SampleSize, size_sample
from .entry import explain
from .gaps import driver_shares
from .sampling import stratified_sample

__all__ = ["Attributions", "SampleSize", "compute_attributions", "driver_shares", "explain",
           "size_sample", "stratified_sample"]
