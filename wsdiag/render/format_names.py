"""The output formats' names (``--format``), without their renderers.

Apart from ``wsdiag.render.formats`` so that reading ``--format`` before a check's first
packet does not import the report's vocabulary and the renderers (~20 ms of start-up):
those load while the probes wait (``wsdiag.run.AFTER_NETWORK``).
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    JSON_LINE = "json-line"
    LINE = "line"
    JAMF = "jamf"
