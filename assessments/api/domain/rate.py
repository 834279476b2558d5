"""Per-token rate limits as a fixed window: which window a moment falls in, and how long
until the next one. Pure."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    requests: int
    seconds: int

    def window(self, now: float) -> int:
        return int(now // self.seconds)

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window that contains ``now`` ends (at least 1)."""
        return max(1, math.ceil((self.window(now) + 1) * self.seconds - now))
