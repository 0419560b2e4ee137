"""The terminal: the only module that knows one. Escaping, colour, the severity order, the
exit-code rule and checked, encoding-safe writing, shared by ``check`` and ``logs``.

Everything here is cheap to import (standard library only, not even wsdiag.vocab.model, whose
dataclasses cost ~20 ms): the CLI imports it at start-up.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from wsdiag.vocab.model import Severity, Verdict

# --- exit codes ------------------------------------------------------------------------

# Monitoring-plugin convention (OK, WARNING, CRITICAL, UNKNOWN): Verdict.exit_code is the
# table; these are the codes that do not come from a verdict.
EXIT_USAGE = 3  # a usage error, bad input or an internal error: the run could not judge
EXIT_OUTPUT = 3  # the report could not be written (full disk, closed stdout)
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, what shells report for an interrupted command
EXIT_CODES_HELP = (
    "Exit codes: 0 ready, 1 degraded, 2 blocked, 3 unknown (also: bad usage, or stdout "
    "could not be written), 130 interrupted (Ctrl-C). A reader that stops early (| head) "
    "does not change the code."
)
LOGS_EXIT_CODES_HELP = (
    "Exit codes (the same rule): 0 nothing wrong, 1 warnings, 2 errors found, 3 no log could "
    "be read (also: bad usage, or stdout could not be written), 130 interrupted (Ctrl-C)."
)


def worst_severity(severities: Iterable[Severity]) -> Severity | None:
    """The most severe of ``severities`` (``None`` for none), by ``Severity.rank``."""
    return max(severities, key=lambda s: s.rank, default=None)


def worst_verdict(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The worst of ``verdicts`` in monitoring order, by ``Verdict.rank`` (``None`` for
    none)."""
    return max(verdicts, key=lambda v: v.rank, default=None)


def verdict_from_findings(severities: Iterable[Severity], judged: bool) -> Verdict:
    """The verdict a list of findings gives when no network rule decides (``wsdiag logs``):
    an error finding blocks, a warning degrades, nothing measured is unknown."""
    from wsdiag.vocab.model import Severity, Verdict

    if not judged:
        return Verdict.UNKNOWN
    worst = worst_severity(severities)
    if worst is Severity.ERROR:
        return Verdict.BLOCKED
    return Verdict.DEGRADED if worst is Severity.WARNING else Verdict.READY


# --- escaping ----------------------------------------------------------------------------

# C0 and C1 controls and DEL: a terminal executes them (colours, titles, cursor moves).
_ASCII = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]}
_ASCII[0x09] = " "
# Bidirectional controls reorder what a terminal shows ("Trojan Source", CVE-2021-42574);
# other format characters (zero-width, soft hyphen, BOM) and line/paragraph separators hide
# or split text. Any code point of these categories is shown as an escape.
_HIDDEN_CATEGORIES = frozenset({"Cf", "Zl", "Zp", "Cs", "Cc"})


def escape(text: str) -> str:
    """``text`` with every control, bidirectional and other format character shown as an
    escape (``\\x1b``, ``\\u202e``), never executed; a tab becomes a space. One line in,
    one line out: newlines are escaped too. Bytes a file name could not decode (lone
    surrogates) appear as ``\\xNN``. Use it on anything from the network or a file."""
    text = text.translate(_ASCII)
    if text.isascii():
        return text
    text = unsurrogate(text)
    return "".join(
        f"\\u{ord(ch):04x}"
        if ord(ch) >= 0xA0 and unicodedata.category(ch) in _HIDDEN_CATEGORIES
        else ch
        for ch in text
    )


def unsurrogate(text: str) -> str:
    """``text`` without lone surrogates (which are not Unicode and not valid in UTF-8 or
    JSON): bytes smuggled in by ``surrogateescape`` (undecodable file names) become
    ``\\xNN``, any other lone surrogate ``\\udNNN``."""
    if text.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def path_text(path: os.PathLike[str] | str) -> str:
    """A file name as text that is valid Unicode, whatever bytes the file system holds."""
    return unsurrogate(os.fspath(path))


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


def shorten_middle(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters in its middle, ``...`` marking the cut: both
    ends stay, as the folder and the file name of a long path do."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - 3)
    return text[: keep // 2] + "..." + text[len(text) - (keep - keep // 2) :]


def one_line_error(message: str, argv: Iterable[str] = (), limit: int = 400) -> str:
    """An error message fit for one line of stderr: every command-line value longer than
    80 characters that it echoes is shortened in its middle (a long path keeps its file
    name), the rest escaped and capped at ``limit``."""
    for value in sorted({a for a in argv if len(a) > 80}, key=len, reverse=True):
        message = message.replace(value, shorten_middle(value))
        message = message.replace(repr(value)[1:-1], shorten_middle(value))
    return shorten(escape(message), limit)


def to_json_text(doc: Any, indent: int | None = 2) -> str:
    """``doc`` as JSON text, ASCII only and valid anywhere: lone surrogates are replaced
    (see :func:`unsurrogate`) so that strict parsers accept it. Ends with a newline."""
    import json

    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(_clean_json(doc), indent=indent, separators=separators) + "\n"


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return unsurrogate(value)
    if isinstance(value, Mapping):
        return {unsurrogate(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


# --- colour ------------------------------------------------------------------------------

_STYLES = {"error": "31", "warning": "33", "ok": "32", "info": "36", "dim": "2", "bold": "1"}


def use_colour(stream: TextIO | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal that shows it, and never with ``NO_COLOR`` set
    (https://no-color.org: any non-empty value) or ``TERM=dumb``. On Windows the console must
    accept ANSI sequences (virtual terminal processing, Windows 10 and later)."""
    stream = sys.stdout if stream is None else stream
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return is_terminal(stream) and (sys.platform != "win32" or _windows_ansi(stream))


def is_terminal(stream: IO[Any] | None) -> bool:
    """Whether ``stream`` is a terminal; False for None and a closed or detached stream."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


def _windows_ansi(stream: TextIO) -> bool:
    """Switch the console behind ``stream`` to virtual terminal processing; ``False`` when it
    refuses (an old console would print the escape sequences as text)."""
    if sys.platform != "win32":  # pragma: no cover - for mypy's platform narrowing
        return True
    import ctypes
    import msvcrt

    enable_vt = 0x0004  # ENABLE_VIRTUAL_TERMINAL_PROCESSING
    try:
        handle = msvcrt.get_osfhandle(stream.fileno())
        mode = ctypes.c_uint32()
        kernel32 = ctypes.windll.kernel32
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(
            mode.value & enable_vt or kernel32.SetConsoleMode(handle, mode.value | enable_vt)
        )
    except (OSError, ValueError, AttributeError):
        return False


class Paint:
    """``paint(text, style)``: ``text`` in one of the styles ``error``, ``warning``, ``ok``,
    ``info``, ``dim``, ``bold`` when colour is on, else unchanged."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if self.on else text


# --- writing -----------------------------------------------------------------------------


class OutputError(Exception):
    """The report could not be written (full disk, closed stdout): exit 3 with one line."""


def setup_streams() -> None:
    """Make stdout and stderr replace what their encoding cannot show (a cp932 or ASCII
    console) instead of raising ``UnicodeEncodeError`` half-way through a report."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            with contextlib.suppress(ValueError, OSError):  # a detached stream
                reconfigure(errors="replace")


def write_out(text: str) -> bool:
    """Write ``text`` to stdout and flush. ``False`` when the reader has gone (a broken
    pipe, as after ``| head -1``): stdout is then pointed at the null device so that the
    interpreter's final flush cannot fail again, and the caller ends quietly with its
    verdict's code. Raises :class:`OutputError` for any other write error (``ENOSPC``,
    ``EBADF``) or when there is no stdout at all."""
    if sys.stdout is None:
        raise OutputError("stdout is closed")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        if _reader_left(exc):
            return False
        raise OutputError(f"cannot write to stdout: {os_error_text(exc)}") from None
    return True


def finish_stdout() -> str | None:
    """Flush what is left on stdout (help or version text written by the CLI library) and
    return the reason it could not be written, ``None`` when all went well or the reader
    simply left (broken pipe)."""
    if sys.stdout is None:
        return "stdout is closed"
    try:
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        return None if _reader_left(exc) else os_error_text(exc)
    return None


def _reader_left(exc: BaseException) -> bool:
    # EPIPE; Windows reports a pipe whose reader has gone as EINVAL (errno 22) instead.
    return isinstance(exc, BrokenPipeError) or (
        sys.platform == "win32" and isinstance(exc, OSError) and exc.errno == errno.EINVAL
    )


def write_err(line: str) -> None:
    """One line on stderr; a stderr that cannot be written is ignored (nowhere to report)."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(line.rstrip("\n") + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def os_error_text(exc: BaseException) -> str:
    """The OS's words for an error, lower case (``no space left on device``)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[:1].isupper() else exc.strerror
    return exc.__class__.__name__


def _silence_stdout() -> None:
    # Python's documented recipe (signal module, "Note on SIGPIPE"): point fd 1 at devnull
    # so the flush at interpreter exit neither fails nor prints "Exception ignored".
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def terminal_width() -> int:
    """The terminal's width; piped: $COLUMNS, else 80 (what a ticket or an email shows)."""
    import shutil

    if sys.stdout.isatty():
        return shutil.get_terminal_size((80, 24)).columns
    try:
        return int(os.environ.get("COLUMNS", "80"))
    except ValueError:
        return 80


def stdout_utf8() -> bool:
    """Whether stdout writes UTF-8 (else the renderers keep to ASCII)."""
    return (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "") == "utf8"
