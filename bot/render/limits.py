"""Discord's limits, named once: render fits what it makes to them, the adapters check
what they send and take against them.

Discord refuses a whole message (400, code 50035) for one part past its limit, so these
numbers are Discord's own, from its developer documentation, not a matter of taste; the
two of our own at the end exist because of them. The module is plain numbers and lives
in render, which enforces them without Discord's types (those stay in the adapters).
"""

from __future__ import annotations

# Messages (https://discord.com/developers/docs/resources/message#create-message).
MESSAGE_MAX = 2000  # characters of a message's content
EMBEDS_PER_MESSAGE = 10  # embeds in one message

# Embeds (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25  # fields in one embed
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # characters of all of a message's embeds together
EMBED_URL_MAX = 2048  # an embed's url (its title links there)

# Link buttons (https://discord.com/developers/docs/interactions/message-components).
BUTTON_URL_MAX = 512
BUTTON_LABEL_MAX = 80

# Autocomplete choices of a slash command option
# (https://discord.com/developers/docs/interactions/application-commands).
CHOICES_MAX = 25  # choices offered at once
CHOICE_NAME_MAX = 100  # characters of the name a person sees
CHOICE_VALUE_MAX = 100  # characters of a string choice's value

# Threads and forum posts (https://discord.com/developers/docs/resources/channel).
THREAD_NAME_MAX = 100  # a thread's name: a forum post's title
FORUM_TAGS_MAX = 5  # tags applied to one forum post

# Scheduled events (https://discord.com/developers/docs/resources/guild-scheduled-event).
EVENT_NAME_MAX = 100
EVENT_DESCRIPTION_MAX = 1000
EVENT_LOCATION_MAX = 100
EVENTS_PER_SERVER_MAX = 100  # upcoming events one server holds (error 30038 past it)

# Ours, not Discord's: an address an organiser types into a command (a program source,
# a room's stream link), under BUTTON_URL_MAX so that a stream link fits its button.
ADDRESS_MAX = 500
# Ours: characters of what someone typed that an answer repeats back to them.
TYPED_SHOWN_MAX = 100


# -- request rates -----------------------------------------------------------------------

# Discord's global limit: requests a second per bot, all routes together (interaction
# responses and follow-ups excepted). Past it every request is answered 429 for a while.
GLOBAL_REQUESTS_PER_SECOND = 50

# The fastest confbot sends, bot-wide: a fifth under the global limit. Requests are spaced
# evenly (no bursts), so any one second holds at most 41 of them; the margin absorbs
# network jitter bunching requests on arrival and anything else sharing the token.
# Bot-wide means over every process: in a cluster each process holds a slice of the
# shards and sends at its share of this (Slice.share, Pacer.for_share), so the sum over
# the processes stays here, under the global limit.
MAX_REQUESTS_PER_SECOND = 40.0
