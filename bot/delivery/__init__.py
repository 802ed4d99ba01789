"""The delivery engine: one module per timed kind of message (bot/delivery/kinds), listed
in bot/delivery/registry.py, and driven by the one ledger loop (bot/delivery/scheduler.py)."""
