"""MockClock: virtual time for tests, plugged into the hub through ``Hub.set_clock``."""

from __future__ import annotations

import math
import time

__all__ = ["MockClock"]

# Captured at import: the real clock stays real even if time is patched later.
_real_clock = time.monotonic


class MockClock:
    """A clock whose time only moves when the test says so (or at ``rate``).

    Install it when starting a run: ``zio.run(main, clock=MockClock(autojump_threshold=0))``
    (or request the ``mock_clock`` / ``autojump_clock`` fixture of the zio
    pytest plugin).  Timers, ``zio.sleep`` and cancel-scope deadlines then use
    virtual time, which starts at 0.0.

    ``rate``: virtual seconds per real second (0, the default, freezes time
    except for jumps; 1 runs at real speed from wherever jumps moved it).

    ``autojump_threshold``: once every task has been parked for this many
    *real* seconds, jump straight to the next timer deadline.  With 0 a test of
    a one-hour timeout finishes in milliseconds, and still sees the timeouts
    fire in the right order.  ``math.inf`` (the default) disables it.

    Time never goes backwards; :meth:`jump` moves it forward explicitly.
    """

    def __init__(self, rate: float = 0.0, autojump_threshold: float = math.inf) -> None:
        self._real_base = _real_clock()
        self._virtual_base = 0.0
        self._rate = 0.0
        self._autojump_threshold = math.inf
        self.rate = rate
        self.autojump_threshold = autojump_threshold

    @property
    def rate(self) -> float:
        """Virtual seconds that pass per real second (>= 0)."""
        return self._rate

    @rate.setter
    def rate(self, new_rate: float) -> None:
        if not (isinstance(new_rate, (int, float)) and new_rate >= 0 and new_rate != math.inf):
            raise ValueError(f"MockClock rate must be a finite number >= 0, got {new_rate!r}")
        # Re-base so that changing the rate never moves the current time.
        real = _real_clock()
        self._virtual_base = self._to_virtual(real)
        self._real_base = real
        self._rate = float(new_rate)

    @property
    def autojump_threshold(self) -> float:
        """Real seconds all tasks must stay parked before the clock jumps (``inf``: never)."""
        return self._autojump_threshold

    @autojump_threshold.setter
    def autojump_threshold(self, value: float) -> None:
        if not (isinstance(value, (int, float)) and value >= 0):
            raise ValueError(f"MockClock autojump_threshold must be a number >= 0 (or math.inf), got {value!r}")
        self._autojump_threshold = float(value)

    def _to_virtual(self, real: float) -> float:
        return self._virtual_base + self._rate * (real - self._real_base)

    def time(self) -> float:
        """The current virtual time, in seconds."""
        return self._to_virtual(_real_clock())

    def jump(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds`` (timers that become due fire on the next poll)."""
        if not seconds >= 0:
            raise ValueError(f"time can only move forward: jump({seconds!r})")
        self._virtual_base += seconds

    def deadline_to_sleep_time(self, deadline: float) -> float:
        """Real seconds until virtual ``deadline`` (``inf`` when only a jump can get there)."""
        ahead = deadline - self.time()
        if ahead <= 0:
            return 0.0
        if self._rate > 0:
            return ahead / self._rate
        return math.inf

    def __repr__(self) -> str:
        return (
            f"<MockClock time={self.time():.6f} rate={self._rate} "
            f"autojump_threshold={self._autojump_threshold}>"
        )
