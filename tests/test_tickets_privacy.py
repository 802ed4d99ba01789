"""Nothing personal is kept: after registrations of every kind, a refund check and a
release, no table of the state database holds a name, an e-mail address, an order code,
a ticket secret, a pseudonymous id or the token. And one registration costs one or two
pretix requests whatever the event's size (a count, not a timing: see
benchmarks/tickets.py for times)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.secret import Secret
from bot.service.refunds import RefundCheck
from bot.service.ticket_results import Granted
from bot.service.tickets import TicketHasher
from tests.fakepretix import FakePretix
from tests.ticket_rig import CONFERENCE, GUILD, NOW, ticket_rig


def personal(fake: FakePretix) -> set[str]:
    """Everything the fake's orders hold that is about a person or proves a ticket."""
    found = {fake.token}
    for order in fake.orders.values():
        found |= {order.code, order.email, order.email.lower(), order.name, order.secret}
        for p in order.positions:
            found |= {p.secret, p.pseudonymization_id, p.attendee_name}
            if p.attendee_email:
                found.add(p.attendee_email)
    return found


def dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


async def test_the_state_holds_nothing_personal(tmp_path: Path):
    async with ticket_rig(tmp_path) as rig:
        s, fake, service = rig.seeded, rig.fake, rig.service
        registered = [
            await service.register(CONFERENCE, GUILD, 1, s.paid, s.email, NOW),
            await service.register(CONFERENCE, GUILD, 2, fake.secrets(s.group)[0], "", NOW),
            await service.register(CONFERENCE, GUILD, 3, s.group, "group@example.org", NOW),
            await service.register(
                CONFERENCE, GUILD, 4, f"DEMOCON-{s.speaker}", "speaker@example.org", NOW
            ),
        ]
        assert all(isinstance(r, Granted) for r in registered)
        # Tried and refused ones leave nothing either.
        await service.register(CONFERENCE, GUILD, 5, s.unpaid, "unpaid@example.org", NOW)
        await service.register(CONFERENCE, GUILD, 5, s.paid, "wrong@example.org", NOW)
        fake.now = fake.now.replace(year=2026)
        fake.cancel_order(s.paid, refund=True)
        report = await RefundCheck(CONFERENCE, rig.client, rig.state.tickets,
                                   service.hasher).run(NOW)  # fmt: skip
        assert len(report.marked) == 2
        await service.release(CONFERENCE, GUILD, 4)
        text = dump(tmp_path / "state.db")
    assert text.count('INSERT INTO "ticket_registrations"') == 5
    leaked = sorted(item for item in personal(fake) if item in text)
    assert leaked == []


async def test_an_operators_hash_key_is_not_kept_in_the_state(tmp_path: Path):
    key = "k" * 64
    async with ticket_rig(tmp_path) as rig:
        rig.service.hasher = TicketHasher(rig.state.tickets, Secret(key))
        result = await rig.service.register(CONFERENCE, GUILD, 1, rig.seeded.paid,
                                            rig.seeded.email, NOW)  # fmt: skip
        assert isinstance(result, Granted)
        text = dump(tmp_path / "state.db")
    assert key not in text and 'INSERT INTO "ticket_hash_key"' not in text


async def test_a_registration_costs_one_or_two_requests_in_an_event_of_50000_orders(
    tmp_path: Path,
):
    async with FakePretix() as fake:
        fake.generate(50_000)
        async with ticket_rig(tmp_path, fake=fake) as rig:
            assert len(fake.orders) > 50_000
            generated = [c for c in fake.orders if c.startswith("Z")]
            code = generated[-1]  # the newest: no list is walked to find it
            order = fake.orders[code]
            before = fake.count()
            by_code = await rig.service.register(CONFERENCE, GUILD, 1, code, order.email, NOW)
            assert isinstance(by_code, Granted) and fake.count() - before == 1
            other = fake.orders[generated[25_000]]
            before = fake.count()
            by_secret = await rig.service.register(CONFERENCE, GUILD, 2,
                                                   other.positions[0].secret, "", NOW)  # fmt: skip
            assert isinstance(by_secret, Granted) and fake.count() - before == 2
