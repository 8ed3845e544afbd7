"""Group fairness from sufficient statistics: metrics, gaps, bootstrap, and the verdict.

Owns, one concern per module:

- :mod:`.stats` per-group confusion counts and score histograms (mergeable over chunks);
- :mod:`.views` the named arrays the metrics are computed from, AUC from histograms;
- :mod:`.bootstrap` exact multinomial resampling and percentile intervals;
- :mod:`.criteria` a metric's spread across groups (demographic parity, equalized odds …);
- :mod:`.tables` the attribute tables (``fairness_tables``, the entry point);
- :mod:`.calibration` per-group calibration curves, for plotting;
- :mod:`.verdict` the policy decision (PASS / REVIEW / UNDECIDED / FAIL, Holm's correction);
- :mod:`.policy` the ``--policy`` TOML file (print and load).

Metric and criterion definitions live in :mod:`audit._result.metrics`, sentences in
:mod:`audit._words.fairness`.
May import: ``audit._result``, ``audit._words``, ``audit._inputs``, ``audit._errors``,
``audit._config``; numpy.
"""
