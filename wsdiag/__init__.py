"""wsdiag: can this machine stream Amazon WorkSpaces over the PrivateLink endpoint?"""

from wsdiag import clock as _clock  # noqa: F401  (first: the run's clock starts with the process)

__version__ = "0.1.0"
