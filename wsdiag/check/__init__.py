"""The check pipeline: catalog -> plan -> run -> evidence; the composition root (diagnose)."""
