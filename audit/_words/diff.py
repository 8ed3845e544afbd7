"""Sentences of ``audit diff``: what changed between two audits, in plain words."""

from __future__ import annotations


def _plain(key: str) -> str:
    return key.replace("_", " ")


def verdict_changed(old: str, new: str) -> str:
    return f"The overall verdict changed from {old} to {new}."


def file_changed(role: str, old_path: str, new_path: str) -> str:
    return f"The {role} file is different ({old_path} → {new_path})."


def rows_changed(old_rows: int, new_rows: int) -> str:
    return f"The audit covers {new_rows:,} rows, against {old_rows:,} before."


def attribute_new(attribute: str) -> str:
    return f"{attribute} is audited now but was not before."


def attribute_gone(attribute: str) -> str:
    return f"{attribute} was audited before but not now."


def check_subject(attribute: str, criterion: str) -> str:
    return f"{attribute}: {_plain(criterion)}"


def check_changed(attribute: str, criterion: str, old: str, new: str) -> str:
    return (f"For {attribute}, the {_plain(criterion)} check went from {_plain(old)} to "
            f"{_plain(new)}.")


def gap_moved(attribute: str, group: str, reference: str, metric: str, kind: str, old: str,
              new: str) -> str:
    return (f"{attribute}, {group} vs {reference}: the {_plain(metric)} {kind} moved from {old} "
            f"to {new}, beyond the uncertainty of either.")


def share_shifted(attribute: str, group: str, old_share: float, new_share: float) -> str:
    return (f"{group} made up {old_share:.1%} of the {attribute} data before and "
            f"{new_share:.1%} now.")


def top_features_changed(old: list[str], new: list[str]) -> str:
    return (f"The inputs the model leans on most changed from {', '.join(old)} to "
            f"{', '.join(new)}.")


def gap_driver_changed(attribute: str, group: str, reference: str, old: str, new: str) -> str:
    return (f"The main driver of the gap between {group} and {reference} ({attribute}) changed "
            f"from {old} to {new}.")


def data_check_changed(subject: str, old: str, new: str) -> str:
    return f"Data check {subject}: {_plain(old)} → {_plain(new)}."
