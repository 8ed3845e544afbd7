"""The package version, in one place (read by the CLI, the pipeline and the build)."""

__version__ = "0.1.0"
