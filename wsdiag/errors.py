"""The one exception type that reaches the user: a one-line message, exit code 3."""


class WsdiagError(Exception):
    """Bad input (option, region, catalog, file). ``str(exc)`` is the whole message."""
