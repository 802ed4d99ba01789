"""The address that adds the bot to a server: the OAuth2 scopes and exactly the Discord
permissions its features use, each listed with the feature that needs it, so an invite
asks for nothing more and a new feature's permission is added in one place
(docs/organisers.md lists the same; a test keeps them equal).

Manage Roles is asked for only when the bot serves ticket roles (a conference with a
pretix event): it lets a bot change the roles of everyone below its own role, so a server
without ticket roles should never grant it."""

from __future__ import annotations

from dataclasses import dataclass

import discord

# `bot` adds the bot user; `applications.commands` registers its slash commands.
SCOPES = ("bot", "applications.commands")


@dataclass(frozen=True, slots=True)
class Need:
    """One permission: its discord.py flag, the name the developer portal shows, and why
    the bot needs it."""

    flag: str
    label: str
    why: str


NEEDS = (
    Need("view_channel", "View Channels",
         "see the channels, forums and threads it posts in"),
    Need("send_messages", "Send Messages",
         "announcements, room channels and program updates; a Q&A forum post per talk"),
    Need("embed_links", "Embed Links",
         "announcements and Q&A posts are embeds"),
    Need("send_messages_in_threads", "Send Messages in Threads",
         "a question asked with /ask; the note when a removed talk's thread closes"),
    Need("add_reactions", "Add Reactions",
         "the first 👍 on each question"),
    Need("read_message_history", "Read Message History",
         "/questions reads a thread's questions; Discord asks for it to react too"),
    Need("manage_threads", "Manage Threads",
         "lock and archive each Q&A thread a day after its talk"),
    Need("create_events", "Create Events",
         "/publish-events creates, updates and deletes its own scheduled events"),
)  # fmt: skip


# Only with ticket roles (CONFBOT_PRETIX_EVENT_URL): see the module's docstring.
TICKET_NEEDS = (
    Need("manage_roles", "Manage Roles",
         "/register gives ticket holders their roles; a refund or /tickets release takes them"
         " back"),
)  # fmt: skip


def needs(tickets: bool = False) -> tuple[Need, ...]:
    """What an invite asks for: NEEDS, and TICKET_NEEDS when the bot serves ticket roles."""
    return NEEDS + TICKET_NEEDS if tickets else NEEDS


def permissions(tickets: bool = False) -> discord.Permissions:
    """The permissions an invite asks for: the flags named in `needs(tickets)`, no other."""
    return discord.Permissions(**{need.flag: True for need in needs(tickets)})


def invite_url(client_id: int, tickets: bool = False) -> str:
    """The OAuth2 address that adds the application `client_id` to a server with SCOPES
    and `permissions(tickets)`."""
    return discord.utils.oauth_url(client_id, permissions=permissions(tickets), scopes=SCOPES)
