"""Session quality (issue 20): RTT spread, jitter and loss to the streaming endpoint,
sampled on the paths that already answered and scored against documented bounds. Pure
modules except the sampler's probes (wsdiag.probes.sample)."""
