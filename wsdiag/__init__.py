"""wsdiag: can this machine stream Amazon WorkSpaces over the PrivateLink endpoint?"""

__version__ = "0.1.0"
