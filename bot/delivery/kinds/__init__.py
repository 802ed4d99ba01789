"""One module per delivery kind (or per few that share their code); see bot/delivery/kind.py
for what each supplies and bot/delivery/registry.py for the list."""
