"""What the other apps may use from research.

Nothing yet: no other app depends on the research data. The public Data Browser and the
diversity dashboard are pages and JSON endpoints of this app (see README.md). When the
researcher workbench arrives it will need, for example, "the current release" and "a
participant count, protected for display"; add them here, backed by `selectors.py`, so no
other app reads the summaries' raw counts.
"""

__all__: list[str] = []
