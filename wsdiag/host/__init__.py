"""This machine: OS-specific paths and settings (proxy), read at the edge, parsed purely."""
