"""The cloud cross-check (``wsdiag check --aws``, issue 21): what the endpoint's side of the
VPC is configured to allow, read with boto3, beside what this machine saw.

- ``model``: what was read (frozen dataclasses), and each call's outcome. Pure.
- ``correlate``: per client path explained / contradicted / unknown, with the rule to add
  and the Reachability Analyzer command. Pure.
- ``gather``: the boto3 I/O, imported only with ``--aws``.
- ``source``: the evidence source (gather, facts, JSON) the composition root calls.
"""
