"""Renderers: service results -> plain text (console) or embeds (Discord)."""
