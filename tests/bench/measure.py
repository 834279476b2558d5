"""Small timing helpers: interleaved rounds, medians, ratios measured in the same run."""

import statistics
import time
from collections.abc import Callable


def per_second(action: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    return repeat / (time.perf_counter() - start)


def interleaved_rates(
    actions: dict[str, Callable[[], object]], *, rounds: int = 5, repeat: int = 50
) -> dict[str, float]:
    """Median operations per second for each action, alternating them so noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()  # warm caches, template loaders, connections
    for _ in range(rounds):
        for name, action in actions.items():
            samples[name].append(per_second(action, repeat))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    lines = [f"\n### {title}"] + [f"  {label.ljust(width)}  {value}" for label, value in rows]
    text = "\n".join(lines)
    print(text)
    return text


def median_ratio(
    numerator: Callable[[], object],
    denominator: Callable[[], object],
    *,
    rounds: int = 15,
    repeat: int = 5,
) -> float:
    """Median over rounds of rate(numerator) / rate(denominator), both measured back to back in
    each round (in alternating order), so a load change on a shared machine hits both alike."""
    numerator(), denominator()  # warm
    ratios = []
    for round_ in range(rounds):
        if round_ % 2:
            below = per_second(denominator, repeat)
            above = per_second(numerator, repeat)
        else:
            above = per_second(numerator, repeat)
            below = per_second(denominator, repeat)
        ratios.append(above / below)
    return statistics.median(ratios)
