"""How a delivery round paces itself: workers, claim sizes, leases, retries."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DeliveryPolicy"]


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    concurrency: int = 8  # workers; each one claims, sends and records strictly in turn
    batch_size: int = 500  # chat ids fetched per keyset page
    claim_batch: int = 16  # chats claimed per round trip
    lease: float = 120.0  # seconds before an unrenewed open claim counts as abandoned
    max_claims: int = 2  # a claim is taken over at most once
    max_retries: int = 3  # transient errors (timeouts, network, 5xx) per message
    backoff_base: float = 1.0  # seconds; doubles per retry
    backoff_max: float = 30.0
    max_rate_limited: int = 10  # RetryAfter answers for one message before giving up on it
    poll_interval: float = 5.0  # how often to look at claims other processes hold
    max_parked: int = 256  # messages waiting out a backoff aside, so their worker goes on

    @classmethod
    def for_rate(cls, rate: float) -> DeliveryPolicy:
        """Enough workers to keep `rate` messages per second in flight, and claims to match.

        Each worker has one request in flight at a time. At 30/s eight are plenty; at 1,000/s
        a request to Telegram taking up to 0.1 s needs about a hundred, and bigger claim
        chunks keep the database round trips per message low.
        """
        concurrency = max(8, min(128, math.ceil(rate * 0.1)))
        if rate <= 100:
            return cls(concurrency=concurrency, claim_batch=16)
        # A round this fast is over in minutes: retry a 5xx sooner (0.5 s, 1 s, 2 s), or the
        # retries of its last failures would keep it going long after everyone else is done.
        return cls(concurrency=concurrency, batch_size=2000, claim_batch=128, backoff_base=0.5)

    @property
    def connections(self) -> int:
        """HTTP connections the sender should keep: one per worker, a few for parked retries."""
        return self.concurrency + 16

    def backoff(self, transient: int) -> float:
        """Seconds to wait before retrying after the `transient`-th transient failure."""
        return min(self.backoff_max, self.backoff_base * 2 ** (transient - 1))

    def __post_init__(self) -> None:
        if min(self.concurrency, self.batch_size, self.claim_batch, self.max_claims) < 1:
            raise ValueError("concurrency, batch sizes and max_claims must be at least 1")
        if self.max_parked < 0:
            raise ValueError("max_parked must not be negative")
        if self.lease <= 0 or self.poll_interval <= 0:
            raise ValueError("lease and poll_interval must be positive")
