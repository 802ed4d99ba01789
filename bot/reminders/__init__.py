"""Reminders and announcements: what to deliver when, and delivering it exactly once."""
