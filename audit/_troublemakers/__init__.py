"""Troublemaker features: proxies for protected attributes that drive the gaps.

Owns, one module each: proxy strength and recoverability (``proxies``), best
drivers and the flag decision (``flags``), the recommended fairlearn loss terms
with a runnable snippet and ``--emit-loss-config`` (``loss``, the snippet's
wrapper class in ``router``), the what-if retraining (``what_if``), and the entry
that runs them in order (``assess``). Result types live in ``audit._result.troublemakers``,
sentences in ``audit._words.troublemakers``.
May import: ``audit._result``, ``audit._words``, ``audit._inputs``, ``audit._errors``,
``audit._deadline`` (the what-if's worker), ``audit._fairness.bootstrap`` (its interval rule);
numpy, pandas, scikit-learn, fairlearn.
"""

from .assess import MAX_PROXY_FEATURES, assess_troublemakers, measure_early
from .loss import loss_config
from .proxies import ProxyMeasures

__all__ = ["MAX_PROXY_FEATURES", "ProxyMeasures", "assess_troublemakers", "loss_config",
           "measure_early"]
