"""Inline SVG charts (matplotlib, no external references), one module per report section.

Each chart function takes result dataclasses and returns ``(svg, alt_text)``; the
alt text is worded in :mod:`audit._words.report`.
"""
