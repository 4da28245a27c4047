"""Attempt budgets for the doors a stranger can guess at: sign-in, tracking by phone, reporting.

Counted by `limits` in moving windows. A budget is a few tiers on one key
("5/15 minutes;10/hour;20/day"): the later tiers are the back-off, so a guesser
who waits out the first window meets a longer one. Counts live in memory by
default, which is right for one server process; several processes share them
through a storage URI such as ``redis://host:6379`` in CIVICGRID_THROTTLE_STORAGE
(the storage's client package must be installed), otherwise each keeps its own.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from civicgrid.errors import TooManyRequests
from civicgrid.settings import Settings


@dataclass(frozen=True)
class Budget:
    """Tiers of limits on one kind of key; `name` keeps the kinds apart in the storage."""

    name: str
    tiers: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, text: str) -> "Budget":
        return cls(name, tuple(parse_many(text)))


@dataclass(frozen=True)
class Budgets:
    """Every budget the app spends, read once from the settings."""

    login_per_address: Budget
    login_per_account: Budget
    track_per_address: Budget
    track_per_case: Budget
    report_per_address: Budget
    consult_per_address: Budget

    @classmethod
    def of(cls, settings: Settings) -> "Budgets":
        return cls(
            login_per_address=Budget.parse("login-address", settings.login_limits_per_address),
            login_per_account=Budget.parse("login-account", settings.login_limits_per_account),
            track_per_address=Budget.parse("track-address", settings.track_limits_per_address),
            track_per_case=Budget.parse("track-case", settings.track_limits_per_case),
            report_per_address=Budget.parse("report-address", settings.report_limits_per_address),
            consult_per_address=Budget.parse(
                "consult-address", settings.consult_limits_per_address
            ),
        )


Charge = tuple[Budget, str]


class Throttle:
    """One process's (or one shared storage's) count of attempts at each door."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.throttle_storage))
        self.budgets = Budgets.of(settings)

    def spend(self, *charges: Charge) -> None:
        """Count one attempt on every key, before the attempt is tried.

        Counting first is what holds under a burst: thirty parallel guesses all
        pass a check made before any of them is counted, but only the budget's
        worth of them can take a count.
        """
        for budget, key in charges:
            for tier in budget.tiers:
                if not self._limiter.hit(tier, budget.name, key):
                    raise TooManyRequests(
                        "too_many_attempts", retry_after=self._retry_after(tier, budget, key)
                    )

    def forgive(self, budget: Budget, key: str) -> None:
        """Forget a key's attempts once one of them succeeded (the owner got in)."""
        for tier in budget.tiers:
            self._limiter.clear(tier, budget.name, key)

    def _retry_after(self, tier: RateLimitItem, budget: Budget, key: str) -> int:
        reset_at = self._limiter.get_window_stats(tier, budget.name, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))


@dataclass(frozen=True)
class Visitor:
    """Who knocks at a guessable door: their client address, and the throttle counting them.

    Behind a reverse proxy the address is the proxy's unless the server trusts its
    forwarded headers (uvicorn's --forwarded-allow-ips); see docs/operations.md.
    """

    address: str
    throttle: Throttle

    @property
    def budgets(self) -> Budgets:
        return self.throttle.budgets
