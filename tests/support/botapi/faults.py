"""Failures on purpose: the next calls of a method, or a random share of them.

Kinds: 429 (``retry_after``), 403, 400 (``description``), 409, 500, 502 (nginx's HTML page)
and ``"stall"`` (hold the connection ``seconds``, then close it without an answer).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from tests.support.botapi.wire import ApiError

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    kind: int | str
    times: int
    retry_after: int = 1
    description: str | None = None
    seconds: float = 10.0


@dataclass
class RandomFault:
    kinds: tuple[int | str, ...]
    probability: float
    retry_after: int = 1
    description: str | None = None
    seconds: float = 10.0


class FaultInjection:
    """The fault methods of `BotApiStandIn`; the stand-in owns the queues they fill."""

    _faults: dict[str, list[Fault]]
    _random_faults: dict[str, RandomFault]
    _rng: random.Random

    def fail_next(
        self,
        method: str,
        kind: int | str,
        times: int = 1,
        *,
        retry_after: int = 1,
        description: str | None = None,
        seconds: float = 10.0,
    ) -> None:
        """Make the next `times` calls of `method` fail with `kind` (see module docstring)."""
        kind = int(kind) if isinstance(kind, str) and kind.isdigit() else kind
        if kind not in (400, 403, 409, 429, 500, 502, "stall"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.setdefault(method, []).append(
            Fault(kind, times, retry_after, description, seconds)
        )

    def fail_randomly(
        self,
        method: str,
        kinds: int | str | Iterable[int | str],
        probability: float,
        *,
        retry_after: int = 1,
        description: str | None = None,
        seconds: float = 10.0,
        seed: int | None = None,
    ) -> None:
        """Fail each call of `method` with chance `probability`, with one of `kinds` at random.

        Keeps going until called again with probability 0. Faults queued with `fail_next`
        are used up first. `seed` makes the sequence repeatable.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, got {probability!r}")
        if isinstance(kinds, (int, str)):
            kinds = [kinds]
        checked = tuple(int(k) if isinstance(k, str) and k.isdigit() else k for k in kinds)
        if not checked or any(k not in (400, 403, 409, 429, 500, 502, "stall") for k in checked):
            raise ValueError(f"unknown fault kind(s) {kinds!r}")
        if seed is not None:
            self._rng.seed(seed)
        if probability == 0.0:
            self._random_faults.pop(method, None)
            return
        self._random_faults[method] = RandomFault(
            checked, probability, retry_after, description, seconds
        )

    def pending_faults(self, method: str | None = None) -> int:
        faults = [f for m, fs in self._faults.items() if method in (None, m) for f in fs]
        return sum(f.times for f in faults)

    def _take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            chance = self._random_faults.get(method)
            if chance is not None and self._rng.random() < chance.probability:
                kind = self._rng.choice(chance.kinds)
                return Fault(kind, 1, chance.retry_after, chance.description, chance.seconds)
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault


def _fault_error(fault: Fault) -> ApiError:
    if fault.kind == 429:
        return ApiError(
            429,
            fault.description or f"Too Many Requests: retry after {fault.retry_after}",
            retry_after=fault.retry_after,
        )
    if fault.kind == 403:
        return ApiError(403, fault.description or "Forbidden: bot was blocked by the user")
    if fault.kind == 400:
        return ApiError(400, fault.description or "Bad Request: message is too long")
    if fault.kind == 409:
        return ApiError(
            409,
            fault.description
            or "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
        )
    return ApiError(500, fault.description or "Internal Server Error")
