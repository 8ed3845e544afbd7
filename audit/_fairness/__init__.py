"""Group fairness from sufficient statistics: metrics, gaps, bootstrap, and the verdict.

Owns per-group confusion counts and score histograms (:mod:`.stats`), the metrics and
gap tables computed from them with exact multinomial bootstrap intervals, and the
policy decision (PASS / REVIEW / FAIL with Holm's correction).
May import: ``audit._result``, ``audit._inputs``, ``audit._errors``, ``audit._config``; numpy.
"""
