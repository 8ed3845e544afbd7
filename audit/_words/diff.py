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


def group_gone(attribute: str, group: str, n: int, same_size: list[str]) -> str:
    """A group of the old audit that the new one does not have."""
    hint = (f" A new group has the same number of rows ({_either(same_size)}): if the group "
            "was renamed, use one name in both data sets to compare the two audits."
            if same_size else "")
    return (f"For {attribute}, the group {group} ({n:,} rows before) is not in the new audit, "
            f"so none of its numbers are compared.{hint}")


def group_new(attribute: str, group: str, n: int) -> str:
    """A group of the new audit that the old one did not have."""
    return (f"For {attribute}, the group {group} ({n:,} rows) is new: the old audit had no such "
            "group, so none of its numbers are compared.")


def reference_changed(attribute: str, old: str, new: str) -> str:
    """Gaps are measured against another group: they cannot be compared."""
    return (f"For {attribute}, gaps are now measured against {new} instead of {old}, so the "
            "gaps of the two audits are not compared.")


def _either(names: list[str]) -> str:
    return " or ".join(names) if len(names) < 4 else f"{', '.join(names[:3])} or others"


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
