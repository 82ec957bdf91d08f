"""Demo data for ``make demo``: a small consultancy with missions, people, rooms and a month of
planning. Deterministic for a given anchor date so reruns produce the same content."""
