"""confbot: a conference program in a Discord server's hands."""

__version__ = "0.1.0"
