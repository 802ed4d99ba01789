"""A live program's sync at 10,000 talks: how long the event loop stalls.

    python -m benchmarks.sync [--events 10000]

A generated pretalx schedule.json of --events talks is followed as a file; one talk is
moved and the follower applies the new version (read, build and index in a worker thread,
diff and swap on the loop) while a ticker measures the longest event-loop stall and
/paper is asked every 5 ms, next to the same work done on the loop. The whole-program
.ics of the new version is built as /schedule builds it (in a worker thread), with the
longest stall meanwhile. Then the same program is served by a local HTTP server and
polled unchanged: the 304 costs no parsing (counted) and its time is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from benchmarks.formats import write_pretalx
from benchmarks.stalls import longest_stall
from bot.adapters.discord.calendar import ProgramCalendar
from bot.bulk import favour_the_loop
from bot.clock import SystemClock
from bot.importer import registry
from bot.importer.registry import read_source
from bot.live import remote as remote_module
from bot.live import sync as sync_module
from bot.live.holder import ProgramHolder
from bot.live.sync import ProgramFollower
from bot.service import ProgramService
from bot.settings import Settings
from tests.local_servers import serving


def move_one(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    day = data["schedule"]["conference"]["days"][0]
    first = next(events for events in day["rooms"].values() if events)[0]
    first["start"], first["date"] = "09:00", first["date"][:11] + "09:00:00+01:00"
    path.write_text(json.dumps(data), encoding="utf-8")


async def run(events: int, root: Path) -> None:
    path = root / "schedule.json"
    write_pretalx(path, events)
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(path),
                                      "CONFBOT_DB": str(root / "c.db")})  # fmt: skip
    service = ProgramService(read_source(path).program)
    follower = ProgramFollower(settings, ProgramHolder(service, SystemClock().now()),
                               SystemClock())  # fmt: skip
    favour_the_loop()  # as ProgramFollower.start does
    move_one(path)
    titles = [talk.title for talk in service.program.talks[:: max(1, events // 200)]]
    answered: list[float] = []

    async def sync_while_asked() -> None:
        """The sync, with /paper asked every 5 ms meanwhile (each answer timed from the
        moment it was due, so a stall shows in its time)."""
        syncing = asyncio.create_task(follower.check())
        loop = asyncio.get_running_loop()
        while not syncing.done():
            due = loop.time() + 0.005
            await asyncio.sleep(0.005)
            follower.holder.service.talk(titles[len(answered) % len(titles)][:30])
            answered.append(loop.time() - due)
        await syncing

    took, stall = await longest_stall(sync_while_asked)
    assert follower.holder.swaps == 1
    print(f"changed version of {events:,} talks applied in {took:.2f} s;"
          f" longest event-loop stall {stall * 1000:.0f} ms (target 50 ms)")  # fmt: skip
    print(f"  /paper asked every 5 ms meanwhile: {len(answered)} answered, slowest"
          f" {max(answered) * 1000:.0f} ms after it was due")  # fmt: skip

    calendars = ProgramCalendar()
    applied = follower.holder.service
    took_ics, stall_ics = await longest_stall(lambda: calendars.whole(applied, datetime.now(UTC)))
    print(f"  whole-program .ics of {events:,} talks built in a worker thread in {took_ics:.2f} s;"
          f" longest event-loop stall {stall_ics * 1000:.0f} ms")  # fmt: skip

    async def on_the_loop() -> None:
        ProgramService(read_source(path).program)

    took_loop, stall_loop = await longest_stall(on_the_loop)
    print(f"  the same read, build and index on the loop: {took_loop:.2f} s, stall"
          f" {stall_loop * 1000:.0f} ms")  # fmt: skip

    body = path.read_bytes()

    async def serve(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, headers={"ETag": '"v1"'})

    app = web.Application()
    app.router.add_get("/schedule.json", serve)
    async with serving(app) as base:
        remote = Settings.from_mapping({"CONFBOT_PROGRAM": f"{base}/schedule.json",
                                        "CONFBOT_DB": str(root / "r.db")})  # fmt: skip
        first = ProgramService(read_source(path).program)
        polled = ProgramFollower(remote, ProgramHolder(first, SystemClock().now()),
                                 SystemClock())  # fmt: skip
        await polled.check()  # the first fetch: reads the program
        reads = 0
        real = registry.read_source

        def counting(*args: object, **kwargs: object) -> object:
            nonlocal reads
            reads += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        # Every module that reads a program, by the name it imported.
        readers = (sync_module, remote_module)
        for module in readers:
            module.read_source = counting  # type: ignore[attr-defined]
        try:
            took_304, stall_304 = await longest_stall(polled.check)
        finally:
            for module in readers:
                module.read_source = real  # type: ignore[attr-defined]
        print(f"unchanged poll (304): {took_304 * 1000:.1f} ms, {reads} program reads, longest"
              f" stall {stall_304 * 1000:.0f} ms")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync")
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="confbot-sync-") as tmp:
        asyncio.run(run(args.events, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
