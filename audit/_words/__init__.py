"""All prose, in one home: plain-language sentences made from facts.

Analysis packages return facts (numbers, names, outcomes) and call these functions
for the few sentences that are part of the JSON contract (``Finding.message``,
``Flag.explanation``, ``DriverSummary.sentence`` ...); the report uses the same
functions, so one fact is worded once. One module per area.

May import: ``audit._result`` and the standard library only.
"""
