"""The vocabulary of a run and of every report section: frozen dataclasses and enums, no I/O.

It imports nothing of wsdiag above ``budgets`` (tests/test_layers.py holds it to that), so
each layer above can be read and tested with these types alone.
"""
