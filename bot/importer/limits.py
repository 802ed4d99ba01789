"""How much of a program file confbot will read: every limit in one place.

Any server's organiser can add a program by address, so a program file is hostile until
read. A byte cap alone does not bound what reading costs: 48 MB of `{}` is sixteen
million Python objects, and a 49 MB abstract is a 49 MB string that every text step
copies. So each reader also counts what it builds (events, people, JSON values, XML
elements, iCalendar lines), stops at the nesting depth below, and bounds each text. A file
over a count or depth limit is refused with one sentence (ProgramFileError); a text over
its length is cut, and the load report says so.

The real programs (see /work/shared/data/real-programs) are far inside these: a CCC
congress has about 1,400 events, FOSDEM about 950, 36C3's schedule.json holds about 31
JSON values per event, nesting is 6 to 8 deep, and no title is longer than 200 characters.
"""

from __future__ import annotations

MAX_BYTES = 50_000_000  # larger than any real program export; bigger is a mistake
MAX_EVENTS = 20_000  # events (talks, contributions, VEVENTs, papers) in one program
MAX_PEOPLE = 200  # people named on one event
MAX_JSON_VALUES = 1_000_000  # objects, arrays, strings and numbers: 30,000 events' worth
MAX_XML_ELEMENTS = 1_000_000  # elements and attributes in a schedule.xml: 25 an event
MAX_MARKUP = 65_536  # bytes of one XML tag, comment or processing instruction
MAX_LINES = 500_000  # iCalendar lines, blank ones included: 20 an event is usual
MAX_DEPTH = 32  # JSON containers or XML elements inside one another
MAX_JSON_TEXT = 6_000_000  # characters of one JSON string as written (\u00e9 is six)
MAX_DIGITS = 40  # digits of one JSON number (Python refuses ints over 4,300 digits)
MAX_VALUE = 1_000_000  # bytes of a line (iCalendar, folds undone; a toc); characters of a text
MAX_TITLE = 500  # characters of a title, room, track or name; longer is cut
MAX_URL = 2048  # characters of a link; longer is left out (Discord shows none so long)
MAX_ABSTRACT_SOURCE = 100_000  # characters of an abstract read; longer is cut
