"""Engines: where the rows come from, and the audit's two passes over them.

``sources`` is the seam (a table in memory, parquet/CSV streamed in batches with
pyarrow, ``spark`` for Spark); ``rows`` and ``sample`` give every row an identity that
does not depend on order or type, and the seeded sample it picks; ``passes`` turns a
batch into mergeable counts; ``scan`` runs the two passes and hands the audit whole-table
statistics and a sample.  Every engine gives the same numbers for the same rows.

May import: ``_inputs`` (resolve the sample, build the groups), ``_fairness.stats``,
``_io`` (file checks), ``_config``, ``_result``, ``_words``, ``_errors``; pyarrow and
pyspark (lazily). Never ``_pipeline``, ``_report`` or ``cli``.
"""
