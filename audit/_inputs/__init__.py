"""Validate once, at the boundary: turn a model and a table into one standard form.

Owns the model adapter (task, positive class, scores), the resolution of target,
features and protected attributes (by name, config or override), group building
(age bands, merged regions, intersections) and the data sanity checks.
May import: ``audit._result``, ``audit._errors``, ``audit._config``; numpy, pandas, scikit-learn.
"""
