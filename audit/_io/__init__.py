"""Reading what the user hands in: model files and data files, and writing outputs safely.

Owns file formats (pickle/joblib/skops, parquet/CSV), fingerprints and atomic writes.
May import: ``audit._errors``, ``audit._config``; pandas, pyarrow, joblib, skops.
"""
