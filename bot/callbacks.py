"""Callback data: short, versioned strings that fit Telegram's 64-byte limit.

Every button carries `<kind>:<argument>`. Decoding never trusts the data: stale or
forged buttons decode to None and get a friendly "out of date" reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
KINDS = {
    "t": "topic",  # t:<topic-id>        show a topic
    "s": "sources",  # s:<topic-id>      show a topic's sources
    "p": "platform",  # p:<platform-id>  show objection steps
    "f": "faq",  # f:<page>              topic list page
    "o": "optout",  # o:                 platform menu
    "d": "deadline",  # d:               deadlines
    "h": "help",  # h:                   help
    "r": "region",  # r:<region>         set region
    "c": "check",  # c:<platform>:<state> checklist tick
    "x": "forget",  # x:yes | x:no        confirm /forget
    "m": "details",  # m:<topic-id>       the rest of an answer ("More details")
    "w": "where",  # w:<topic-id>[:<region>]   ask the region for an answer / answer for it
    "g": "where-steps",  # g:<platform-id>[:<region>]  the same for an app's steps
    "l": "language",  # l:<code> | l:        set the chat's language | show the choice
    "k": "checkup",  # k: | k:done | k:region:<region>  the /checkup flow
    "u": "use",  # u:<platform>          /checkup: toggle an app the chat uses
    "y": "tick",  # y:<platform>:<state> /checkup checklist: done, later, na
    "v": "vote",  # v:<topic>:up | v:<topic>:down  was this answer helpful?
}
_ARG = re.compile(r"^[a-z0-9-]{0,40}(:[a-z0-9-]{1,12})?$")


@dataclass(frozen=True, slots=True)
class Callback:
    kind: str
    arg: str = ""


def encode(kind: str, arg: str = "") -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown callback kind {kind!r}")
    data = f"{kind}:{arg}"
    if len(data.encode("utf-8")) > MAX_BYTES or not _ARG.match(arg):
        raise ValueError(f"callback data {data!r} is not valid")
    return data


def decode(data: str | None) -> Callback | None:
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    kind, sep, arg = data.partition(":")
    if not sep or kind not in KINDS or not _ARG.match(arg):
        return None
    return Callback(kind, arg)
