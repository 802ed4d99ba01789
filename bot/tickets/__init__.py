"""Tickets from outside: pretix's REST API, read the careful way (bot.tickets.client), and
what it answers, as checked records (bot.tickets.model). Below the store and the service:
it knows nothing of the state, of Discord or of roles."""
