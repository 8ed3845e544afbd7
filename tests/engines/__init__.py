"""Tests of the engines behind the seam (pandas, streaming, Spark)."""
