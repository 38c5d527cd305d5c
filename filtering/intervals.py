"""Sets of integer scores as sorted lists of disjoint inclusive intervals.

An interval is ``(low, high)`` with both ends included; None means unbounded. Every
indexed value is an integer, so ``gt 5`` is the interval ``(6, None)`` and bounds
are exact at equal values.
"""

Interval = tuple[int | None, int | None]


def _low(value: int | None) -> float:
    return float("-inf") if value is None else value


def _high(value: int | None) -> float:
    return float("inf") if value is None else value


def normalize(intervals: list[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge overlapping or adjacent ones."""
    ordered = sorted(
        (item for item in intervals if _low(item[0]) <= _high(item[1])),
        key=lambda item: _low(item[0]),
    )
    merged: list[Interval] = []
    for low, high in ordered:
        if merged and _low(low) <= _high(merged[-1][1]) + 1:
            previous_low, previous_high = merged[-1]
            if _high(high) > _high(previous_high):
                merged[-1] = (previous_low, high)
            continue
        merged.append((low, high))
    return merged


def intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    result = []
    for low_a, high_a in first:
        for low_b, high_b in second:
            low = low_a if _low(low_a) >= _low(low_b) else low_b
            high = high_a if _high(high_a) <= _high(high_b) else high_b
            result.append((low, high))
    return normalize(result)


def complement(intervals: list[Interval]) -> list[Interval]:
    result = []
    start: int | None = None
    for low, high in normalize(intervals):
        if low is not None:
            result.append((start, low - 1))
        if high is None:
            return normalize(result)
        start = high + 1
    result.append((start, None))
    return normalize(result)


def points(values) -> list[Interval]:
    return normalize([(value, value) for value in values])


def for_comparison(operator: str, value) -> list[Interval]:
    """Return the integer scores that ``score operator value`` accepts."""
    if operator == "eq":
        return [(value, value)]
    if operator == "in":
        return points(value)
    if operator == "ne":
        return complement([(value, value)])
    if operator == "not_in":
        return complement(points(value))
    if operator == "lt":
        return [(None, value - 1)]
    if operator == "lte":
        return [(None, value)]
    if operator == "gt":
        return [(value + 1, None)]
    return [(value, None)]


def redis_bounds(interval: Interval) -> tuple[str, str]:
    """Return ZRANGEBYSCORE min and max arguments for an inclusive interval."""
    low, high = interval
    return (
        "-inf" if low is None else str(low),
        "+inf" if high is None else str(high),
    )
