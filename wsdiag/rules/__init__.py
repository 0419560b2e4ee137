"""Evidence -> environment, verdict and findings: the rule rows and nothing else. Pure."""
