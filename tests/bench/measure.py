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
