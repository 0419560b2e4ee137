"""``--since``: "2h", "3d", "30m" or an ISO date/time -> a UTC datetime. Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from wsdiag.errors import WsdiagError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_MAX_DIGITS = 9  # a billion weeks is already before the year 1; int() refuses 4,300 digits
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: datetime) -> datetime:
    """``2h``, ``3d``, ``30m``, ``45s``, ``1w`` before ``now``; or an ISO date/time.

    A date/time without a zone is UTC, like the timestamps in the client's logs.
    Raises :class:`WsdiagError` with a one-line message on anything else.
    """
    value = text.strip()
    m = _RELATIVE.match(value)
    if m:
        if len(m[1].lstrip("0")) > _MAX_DIGITS:
            raise WsdiagError(
                f"--since {text!r}: too far back (before the year 1); give a shorter duration"
            )
        amount = int(m[1])
        if amount == 0:
            raise WsdiagError(f"--since {text!r}: the duration must be greater than zero")
        try:
            return now - timedelta(seconds=amount * _UNIT_SECONDS[m[2].lower()])
        except OverflowError:
            raise WsdiagError(
                f"--since {text!r}: too far back (before the year 1); give a shorter duration"
            ) from None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        raise WsdiagError(
            f"--since {text!r}: expected a duration like 30m, 2h, 3d, 1w "
            "or an ISO date/time like 2025-08-28 or 2025-08-28T04:00Z"
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC).timestamp()
    except (OverflowError, ValueError, OSError):
        raise WsdiagError(f"--since {text!r}: out of range") from None
    return parsed


# --- discovery ---------------------------------------------------------------------------
