"""Shared test helpers: a throwaway CA (certs) and small real servers (servers)."""
