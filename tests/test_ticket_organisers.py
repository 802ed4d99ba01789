"""/tickets status in words: one message whatever the event holds (Discord refuses a
message over 2,000 characters, and the answer would be lost)."""

from __future__ import annotations

from bot.render.limits import MESSAGE_MAX
from bot.render.ticket_organisers import log_off_text, roles_deleted_text, status_text
from bot.service.ticket_results import MappingLine, RolesUnmapped, RoleUnmapped, TicketStatus
from bot.store.tickets_store import LogTrouble, RoleMapping, TicketCounts

COUNTS = TicketCounts(members=3, tickets=4, revoking=1, revoked=2, failed=0)


def status(labels: list[str], log_channel: int | None = None) -> TicketStatus:
    lines = tuple(MappingLine(RoleMapping(n, None, 10**18 + n), label)
                  for n, label in enumerate(labels))  # fmt: skip
    return TicketStatus("democon", True, lines, log_channel, COUNTS)


def test_a_few_mappings_are_listed_with_the_counts():
    text = status_text(status(["Conference ticket", "Speaker *VIP*"], 42), "DemoCon", [])
    assert text.splitlines() == [
        "🎟️ **Ticket roles of DemoCon**",
        f"• Conference ticket → <@&{10**18}>",
        f"• Speaker \\*VIP\\* → <@&{10**18 + 1}>",
        "Registrations reported in: <#42> (`/tickets log` sets it).",
        "Registered: 4 tickets of 3 members. Refunds and cancellations: 2 done, 1 under way,"
        " 0 failed.",
    ]


def test_many_long_labels_fit_one_message_and_the_rest_are_counted():
    labels = [f"Product {n} " + "with a very long name " * 10 for n in range(60)]
    problems = ["I lack the **Manage Roles** permission. " * 5]
    text = status_text(status(labels), "DemoCon", problems)
    assert len(text) <= MESSAGE_MAX
    lines = text.splitlines()
    listed = [line for line in lines if line.startswith("• Product")]
    assert 10 <= len(listed) < 25
    assert f"• and {60 - len(listed)} more" in lines
    assert lines[-1].startswith("⚠️ I lack") and "Registered: 4 tickets" in text


def test_a_log_channel_that_stopped_is_a_warning_with_its_fix():
    counts = TicketCounts(0, 0, 0, 0, 0)
    deleted = status_text(TicketStatus("dc25", True, (), 55, counts, LogTrouble.DELETED), "D", [])
    closed = status_text(TicketStatus("dc25", True, (), 55, counts, LogTrouble.FORBIDDEN), "D", [])
    assert (
        "⚠️ Registrations are not reported: <#55> was deleted; `/tickets log` picks another channel."
    ) in deleted.splitlines()
    assert "Registrations reported in" not in deleted
    assert "give me View Channel and Send Messages there" in closed
    told = log_off_text("Demo *Con*", 55, LogTrouble.DELETED)
    assert told.startswith("🎟️ Ticket registrations in **Demo \\*Con\\*** are no longer reported")
    assert "<#55> was deleted" in told and told.endswith("Registering goes on as before.")


def test_a_deleted_role_is_one_line_with_its_products_named_and_escaped():
    unmapped = RolesUnmapped((RoleUnmapped(7, ("Work*shop*", "A", "B", "C", "D")),
                              RoleUnmapped(8, ("Online",))), None, 1)  # fmt: skip
    logged = roles_deleted_text(unmapped, {7: "__Workshop__"})
    assert logged.splitlines() == [
        "⚠️ The role **\\_\\_Workshop\\_\\_**, given for **Work\\*shop\\***, **A**, **B** and 2"
        " more products, was deleted, so those tickets no longer give it; registering goes on"
        " with their other roles, and `/tickets role` maps another role to them.",
        "⚠️ The role <@&8>, given for **Online**, was deleted, so those tickets no longer give"
        " it; registering goes on with their other roles, and `/tickets role` maps another"
        " role to them.",
    ]
    dm = roles_deleted_text(unmapped, {}, "Demo *Con*")
    assert dm.splitlines()[0] == "🎟️ Ticket roles in **Demo \\*Con\\***:"
    assert len(dm.splitlines()) == 3


def test_many_deleted_roles_are_one_message_and_the_rest_counted():
    labels = tuple("A very long product name " * 4 for _ in range(3))
    roles = tuple(RoleUnmapped(10**18 + n, labels) for n in range(40))
    text = roles_deleted_text(RolesUnmapped(roles, None, 1), {}, "Server")
    lines = text.splitlines()
    assert len(text) <= MESSAGE_MAX and 3 < len(lines) < 40
    shown = len(lines) - 2
    assert lines[-1] == (
        f"⚠️ …and {40 - shown} more deleted roles: `/tickets status` shows what each product"
        " gives now."
    )
