"""The answers the bot would give about an entry, for the editor's preview before publishing.

Rendered by the bot's own answer code (``actions.answers``: catalogue fields into German sentences,
the source line at the end), so the preview is exactly what citizens will read, aspect by aspect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from actions import answers
from actions.offices import DEFAULT_OFFICE
from knowledge.schema import Office, Service

#: The aspects a citizen can ask about a service, in the order the preview shows them.
ASPECTS = ("general", "documents", "requirements", "procedure", "fees", "duration", "online", "location", "hours")


@dataclass(frozen=True)
class PreviewAnswer:
    aspect: str
    text: str


def preview(service: Service, offices: Mapping[str, Office]) -> list[PreviewAnswer]:
    """One answer per aspect, as the bot sends it to a question about that aspect alone."""
    office = offices.get(service.office or "") or offices.get(DEFAULT_OFFICE)
    return [
        PreviewAnswer(aspect, answers.with_source(answers.answer(service, aspect, office), service))
        for aspect in ASPECTS
    ]
