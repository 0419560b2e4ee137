"""Evidence: what a run observed -> tri-state facts with the results behind them. Pure.

Each stage is one module returning one frozen dataclass of its facts and their basis
(fact -> result ids), and owns its facts: ``dns`` (DnsFacts), ``endpoint`` (EndpointFacts),
``internet`` (InternetFacts), ``route`` (RouteFacts), ``tls`` (TlsFacts, judged by
``identity``), ``names`` (NameFacts), ``stream`` (ProxyStreamFacts). Sources beside the
probes plug in through ``wsdiag.vocab.sources.EvidenceSource``: ``machine.PathsSource``
(MachineFacts) and ``logs.LogsSource`` (ClientLogFacts). ``build.build`` composes one
``Evidence`` for the rules; the composition root (``wsdiag.run``) calls it, then the rules.
"""
