"""One module per report section: each builds its part of the template context.

A section module takes an :class:`~audit._result.AuditResult`, picks the facts
its template shows and returns a plain ``dict`` (sentences come from
:mod:`audit._words.report`, charts from :mod:`audit._report.charts`). When a
part of the audit did not run, its dict has ``ran=False`` and ``why`` holds one
plain sentence built from ``result.skipped``. The scope, sign-off and
reproducibility sections read the result directly in their templates and need
no module here.
"""
