"""Adapters: the ways people reach the service (console, Discord)."""
