"""Validate once, at the boundary: turn a model and a table into one standard form.

Owns the model adapter (``model``: task, positive class, scores), the resolution of
what to audit (``spec.resolve`` running ``columns`` → ``target`` → ``predictions`` →
``protected``), group building (``groups``: age bands, merged regions, intersections),
the standard form itself (``prepared``) and the data sanity checks (``sanity``, from
mergeable per-batch counts in ``sanity_counts``).
Sentences (how each piece was found, notes, finding messages) come from ``audit._words.inputs``.
May import: ``audit._result``, ``audit._words``, ``audit._errors``, ``audit._config``,
``audit._engines.rows`` (row hashes);
numpy, pandas, scikit-learn.
"""
