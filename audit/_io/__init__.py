"""Reading what the user hands in: model files and data files, and writing outputs safely.

Owns file formats and the checks on them: ``models`` (pickle/joblib/skops, checked by
``safety`` before anything is loaded: model files are untrusted input), ``data``
(parquet/CSV), ``files`` (sha256 fingerprints, atomic writes, path checks).
May import: ``audit._errors``, ``audit._config``; pandas, pyarrow, joblib, skops.
"""

from .data import load_data
from .files import atomic_write, sha256_file
from .models import LoadedModel, load_model, scan_model

__all__ = ["LoadedModel", "atomic_write", "load_data", "load_model", "scan_model", "sha256_file"]
