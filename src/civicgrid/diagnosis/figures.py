"""Figures derived from stored counts, the same for the API, the workbook and the report."""


def change(now: int, before: int) -> float | None:
    """Relative change (0.5 is +50 %); none when there is nothing to compare with."""
    return None if before == 0 else (now - before) / before


def per_thousand(events: int, residents: int | None) -> float | None:
    """Events per 1,000 residents; none where the registry has no residents for the grid."""
    return None if not residents else events * 1000 / residents
