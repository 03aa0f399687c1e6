"""The breadth tier: every city-relevant LeiKa service object becomes a searchable entry.

Rich entries describe Jena's most asked services in depth. For everything else the bot still
knows the service's official name, key, life situation and legal basis, so no service is
"unknown"; the answer then points to the Bürgerservice for details.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Dict, Iterable, List

from knowledge.schema import Service

#: Typisierung 2, 3, 2/3 (federal or state law executed by Länder or municipalities), 4 (state law,
#: municipal), 5 (municipal). Type 1 (federal authorities only) is left out.
CITY_TYPES = {"2", "3", "2/3", "4", "5"}
LEIKA_SOURCE = "https://github.com/kdn-nrw/OZG-Datenbank-NRW"
LEIKA_STAND = date(2023, 6, 1)


def load_breadth(csv_path: Path) -> List[Service]:
    """One breadth entry per 8-digit service object whose typisierung concerns a city."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["leika_schluessel"].isdigit() and len(r["leika_schluessel"]) == 14]
    by_object: Dict[str, List[dict]] = defaultdict(list)
    for row in rows:
        by_object[row["leika_schluessel"][:8]].append(row)
    entries = []
    for obj, group in sorted(by_object.items()):
        types = {t.strip() for r in group for t in r["typisierung"].split(",")}
        if types & CITY_TYPES:
            entries.append(_entry(obj, group))
    return entries


def _entry(obj: str, group: List[dict]) -> Service:
    group = sorted(group, key=lambda r: r["leika_schluessel"])
    head = next((r for r in group if r["leika_schluessel"].endswith("000000")), group[0])
    name = head["leika_name"].strip()
    actions = _unique(r["leika_name"].strip() for r in group if r["leika_name"].strip() != name)
    ozg = _unique(r["ozg_leistung"].strip() for r in group)
    summary_parts = [f"Leistung aus dem bundesweiten Leistungskatalog (LeiKa): {name}."]
    if ozg:
        summary_parts.append("Gehört zur OZG-Leistung: " + "; ".join(ozg) + ".")
    laws = _unique(_law(r) for r in group)
    topic = " / ".join(_unique(v for r in group for v in (r["lebenslage"].strip(), r["themenfeld"].strip())))
    return Service(
        id=f"leika-{obj}",
        leika=head["leika_schluessel"],
        name=name,
        synonyms=_unique(n for n in [*actions, *ozg] if n != name),  # each becomes its own search chunk
        summary=" ".join(summary_parts),
        legal_basis=laws,
        topic=topic or None,
        stand=LEIKA_STAND,
        source=LEIKA_SOURCE,
        tier="breadth",
    )


def _law(row: dict) -> str:
    """Prefer the readable legal reference, without the URL in square brackets."""
    text = row["rechtsgrundlage"].split("[")[0].strip() or row["gesetze_kurz"].strip()
    return " ".join(text.split())


def _unique(values: Iterable[str]) -> List[str]:
    seen: Dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)
