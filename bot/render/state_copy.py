"""What `python -m bot migrate-state` prints once the copy is committed: each table's rows
in the file and on the server (the operator sees that nothing was left behind), what the
stopped bot had in flight, and what to do next."""

from __future__ import annotations

from bot.store.state_copy import StateCopied

LISTED = 5  # lost deliveries named; a process sends one at a time, so more is rare


def copied_text(copied: StateCopied) -> str:
    width = max([len("table"), *(len(t.table) for t in copied.tables)])
    lines = [
        f"Copied the state in {copied.source} into {copied.target} (state schema"
        f" {copied.version}), in one transaction:",
        f"  {'table':<{width}}  {'file':>8}  {'server':>8}",
        *(f"  {t.table:<{width}}  {t.in_file:>8}  {t.on_server:>8}" for t in copied.tables),
    ]
    # A copy whose counts differ is never committed (CopyFailed), so these always match.
    rows = sum(t.on_server for t in copied.tables)
    lines.append(
        f"The counts match: {rows} rows in {len(copied.tables)} tables, the same in the file"
        " and on the server."
    )
    lines.append(_lost(copied))
    lines.append(
        "Next: start the bot with this same CONFBOT_STATE_URL (or DATABASE_URL); keep the"
        " file as a backup, and start no bot on it again."
    )
    return "\n".join(lines)


def _lost(copied: StateCopied) -> str:
    """The deliveries the stopped bot left between 'sending' and 'sent': marked lost, as
    its own start would have (each may have gone out, so none is sent again)."""
    if not copied.lost:
        return "No delivery was in the middle of being sent when the bot stopped."
    listed = "; ".join(f"{d.kind} {d.item_ref} to {d.target}" for d in copied.lost[:LISTED])
    if copied.lost[LISTED:]:
        listed += f"; and {len(copied.lost) - LISTED} more"
    return (
        f"Marked lost {len(copied.lost)} delivery(ies) the stopped bot was in the middle of"
        f" sending ({listed}): each may have gone out, so none is sent again, as the bot's"
        " own start would have done."
    )
