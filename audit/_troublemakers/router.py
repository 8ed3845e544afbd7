"""``RouteSampleWeight``: the wrapper the loss-term snippet defines, as a real class.

The snippet's text is generated from this class's source (:func:`router_source`),
so the code a user copies is the code the what-if runs. Keep the class free of
type hints and of anything the snippet does not need: its source is shown verbatim.
"""

from __future__ import annotations

import functools
import inspect

from sklearn.base import BaseEstimator, clone

# The import the class needs, first line of the snippet's wrapper (the snippet runs it).
_IMPORT = "from sklearn.base import BaseEstimator, clone\n"


class RouteSampleWeight(BaseEstimator):
    """Give ExponentiatedGradient's sample weights to the last step of a Pipeline."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None):
        self.estimator_ = clone(self.estimator)
        kwargs = {}
        if sample_weight is not None:
            path, step = [], self.estimator_
            while hasattr(step, "steps"):
                path.append(step.steps[-1][0])
                step = step.steps[-1][1]
            kwargs["__".join(path + ["sample_weight"])] = sample_weight
        self.estimator_.fit(X, y, **kwargs)
        return self

    def predict(self, X):
        return self.estimator_.predict(X)


@functools.cache
def router_source() -> str:
    """The runnable text of :class:`RouteSampleWeight` (with its import), for the snippet."""
    return _IMPORT + "\n\n" + inspect.getsource(RouteSampleWeight)
