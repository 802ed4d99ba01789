"""The languages tickets keep (state migration 22), on both state backends: the member's
with each registration, for the refund DM; an organiser's with a mapping and the log
channel, for what they are told later. Nothing but the language code. And a product
without a name, said in the reader's words."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.i18n import Language, bundled_messages
from bot.render.ticket_organisers import bad_item_text, status_text
from bot.render.tickets import register_text
from bot.service.ticket_input import InputProblem
from bot.service.ticket_results import (
    BadItemText,
    Granted,
    ItemChoice,
    MappingLine,
    RegisterResult,
    TicketStatus,
    Unnamed,
)
from bot.store.tickets_store import LogTrouble, RoleMapping, TicketCounts
from tests.state_backends import StateBackend
from tests.test_tickets_render import RESULTS
from tests.ticket_rig import CONFERENCE, GUILD, NOW, ONLINE, Rig, ticket_rig

ADA, OWNER = 11, 77


@pytest.fixture
async def rig(state_backend: StateBackend) -> AsyncIterator[Rig]:
    async with ticket_rig(state_backend) as rig:
        yield rig


async def registered(rig: Rig, language: Language | None) -> list[str | None]:
    result = await rig.service.register(CONFERENCE, GUILD, ADA, rig.seeded.paid,
                                        rig.seeded.email, NOW, language)  # fmt: skip
    assert isinstance(result, Granted)
    return [r.language for r in await rig.state.tickets.registrations(CONFERENCE, GUILD, ADA)]


async def test_a_registration_keeps_its_members_language_and_a_new_one_replaces_it(rig: Rig):
    assert await registered(rig, Language.DE) == ["de", "de"]  # the order's two tickets
    assert await registered(rig, Language.FR) == ["fr", "fr"]  # registered again, in French


async def test_a_registration_without_a_language_keeps_none(rig: Rig):
    assert await registered(rig, None) == [None, None]


async def test_an_organisers_language_is_kept_with_the_log_channel(rig: Rig):
    await rig.service.set_log_channel(GUILD, 55, NOW, OWNER, Language.FR)
    stopped = await rig.service.log_channel_failed(GUILD, 55, LogTrouble.DELETED, NOW)
    assert stopped is not None and (stopped.set_by, stopped.language) == (OWNER, "fr")


async def test_a_deleted_roles_notice_names_the_language_of_who_mapped_it(rig: Rig):
    online = 900
    await rig.service.map_role(CONFERENCE, GUILD, ItemChoice(3, None, "Online"), online, NOW,
                               OWNER, Language.DE)  # fmt: skip
    removed = await rig.service.roles_deleted(GUILD, [online])
    notice = await rig.service.unmapped_notice(GUILD, removed, NOW)
    assert (notice.organiser_id, notice.organiser_language) == (OWNER, Language.DE)


async def test_an_organiser_whose_language_was_not_kept_has_none(rig: Rig):
    """The rig's mappings were set by no one known (set_by 0); one set by OWNER before the
    language was kept reads None: the adapter then speaks the server's language."""
    await rig.service.map_role(CONFERENCE, GUILD, ItemChoice(3, None, "Online"), ONLINE + 1,
                               NOW, OWNER)  # fmt: skip
    removed = await rig.service.roles_deleted(GUILD, [ONLINE + 1])
    notice = await rig.service.unmapped_notice(GUILD, removed, NOW)
    assert (notice.organiser_id, notice.organiser_language) == (OWNER, None)


def test_a_product_pretix_does_not_name_is_said_by_its_ids_in_the_readers_words():
    """pretix down while /tickets status lists the mappings: the products by their ids,
    in the organiser's words, as the deleted roles' notice names them too."""
    german = bundled_messages().words(Language.DE)
    lines = (MappingLine(RoleMapping(3, None, 9), Unnamed(3)),
             MappingLine(RoleMapping(1, 12, 9), Unnamed(1, 12)),
             MappingLine(RoleMapping(1, 11, 9), Unnamed(1, 11, "Konferenzticket")))  # fmt: skip
    status = TicketStatus(CONFERENCE, True, lines, None, TicketCounts(0, 0, 0, 0, 0))
    listed = status_text(status, "OSDI", [], german).splitlines()[1:4]
    assert listed == ["• Produkt 3 → <@&9>", "• Produkt 1, Variante 12 → <@&9>",
                      "• Konferenzticket – Variante 11 → <@&9>"]  # fmt: skip
    english = status_text(status, "OSDI", []).splitlines()[1:3]
    assert english == ["• product 3 → <@&9>", "• product 1, variation 12 → <@&9>"]


def test_a_product_longer_than_any_is_counted_as_the_reader_counts():
    """Discord sends at most 100 characters for it, but the service reads any caller's."""
    bad = BadItemText(InputProblem.TOO_LONG, 2100)
    german = bundled_messages().words(Language.DE)
    assert bad_item_text(bad) == "That product is 2,100 characters long; 200 at most."
    assert bad_item_text(bad, german) == (
        "Der Produktname hat 2.100 Zeichen; erlaubt sind höchstens 200."
    )


@pytest.mark.parametrize("language", [Language.DE, Language.FR])
@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_every_register_answer_is_translated_and_reads_on_a_phone(
    result: RegisterResult, language: Language
):
    """One short paragraph in the reader's language, never the operator's detail."""
    w = bundled_messages().words(language)
    said = register_text(result, ["Attendee"], w)
    assert said != register_text(result, ["Attendee"])  # not English
    assert "\n" not in said and len(said) < 300
    assert "HTTP" not in said and "pretix at" not in said
