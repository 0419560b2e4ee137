"""The cloud cross-check (``wsdiag check --aws``, issue 21): what the endpoint's side of the
VPC is configured to allow, read with boto3, beside what this machine saw.

- ``model``: what was read (frozen dataclasses), and each call's outcome. Pure.
- ``correlate``: per client path explained / contradicted / unknown, with the rule to add
  and the Reachability Analyzer command. Pure.
- ``gather``: the boto3 I/O, imported only with ``--aws``: the order of the reads. Under it
  ``session`` (each call within the budget, timed, classified, never raising), ``find``
  (which endpoint), ``vpc`` (its interfaces, groups' rules, ACLs, route tables) and
  ``resolver`` (the VPC's Route 53 Resolver).
- ``source``: the evidence source (gather, facts, JSON) the composition root calls.
- ``codec``: the report's ``cloud`` section as JSON and back, part by part. Pure.
"""
