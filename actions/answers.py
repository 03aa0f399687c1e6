"""German answer texts for one service and one aspect, built only from catalogue fields.

Every answer ends with its source and the date of the information. A missing field is said
plainly, with whom to ask instead; nothing is filled in from elsewhere.
"""

from __future__ import annotations

from knowledge import hours as hrs
from knowledge.schema import Fee, Office, Service

UNKNOWN = "Dazu habe ich keine gesicherten Angaben."


def answer(service: Service, aspect: str, office: Office | None) -> str:
    """One aspect of one service, without the source line (``with_source`` adds it once per reply)."""
    if service.tier == "breadth":
        return _breadth(service, aspect, office)
    body = _BUILDERS.get(aspect, _general)(service, office)
    return body if body else f"{UNKNOWN} {ask_whom(office)}"


def with_source(text: str, service: Service, office: Office | None = None) -> str:
    return f"{text}\n\nQuelle: {service.source} (Stand: {service.stand:%d.%m.%Y})"


def ask_whom(office: Office | None) -> str:
    if office is None:
        return "Bitte fragen Sie beim Bürgerservice der Stadt Jena nach: Telefon 03641 49-0."
    contact = [
        c
        for c in (f"Telefon {office.phone}" if office.phone else "", f"E-Mail {office.email}" if office.email else "")
        if c
    ]
    return f"Bitte fragen Sie dort nach: {office.name}" + (f", {', '.join(contact)}." if contact else ".")


def fee_line(fee: Fee) -> str:
    amount = fee.text or f"{fee.amount_eur:.2f} Euro".replace(".", ",")
    return f"{amount} ({fee.condition})" if fee.condition else amount


def _fees(s: Service, office: Office | None) -> str:
    if not s.fees and not s.fees_note:
        return ""
    lines = [f"Kosten für „{s.name}“:"] if s.fees else []
    lines += [f"• {fee_line(f)}" for f in s.fees]
    if s.fees_note:
        lines.append(s.fees_note)
    return "\n".join(lines)


def _documents(s: Service, office: Office | None) -> str:
    return _bullets(f"Für „{s.name}“ brauchen Sie:", s.documents)


def _requirements(s: Service, office: Office | None) -> str:
    return _bullets(f"Voraussetzungen für „{s.name}“:", s.prerequisites)


def _procedure(s: Service, office: Office | None) -> str:
    if not s.steps:
        return ""
    return "\n".join([f"So läuft „{s.name}“ ab:"] + [f"{i}. {step}" for i, step in enumerate(s.steps, 1)])


def _duration(s: Service, office: Office | None) -> str:
    return f"Bearbeitungsdauer: {s.processing_time}" if s.processing_time else ""


def _online(s: Service, office: Office | None) -> str:
    if s.online is None:
        return ""
    head = "Ja, das geht online." if s.online.available else "Das geht nicht vollständig online."
    parts = [head]
    if s.online.note:
        parts.append(s.online.note)
    if s.online.url:
        parts.append(f"Link: {s.online.url}")
    return " ".join(parts)


def _legal(s: Service, office: Office | None) -> str:
    return _bullets("Rechtsgrundlage:", s.legal_basis)


def _location(s: Service, office: Office | None) -> str:
    return office_text(office, f"Zuständig für „{s.name}“ ist") if office else ""


def _hours(s: Service, office: Office | None) -> str:
    return hours_text(office) if office else ""


def _general(s: Service, office: Office | None) -> str:
    parts = [f"{s.name}: {s.summary}" if s.summary else s.name]
    if office:
        parts.append(f"Zuständig ist: {office.name}.")
    parts.append("Sie können mich auch nach Unterlagen, Kosten, Dauer, Ablauf oder Öffnungszeiten fragen.")
    return "\n".join(parts)


def office_text(office: Office, lead: str) -> str:
    lines = [f"{lead}: {office.name}."]
    if office.address:
        addr = office.address
        lines.append(
            f"Adresse: {addr.street}, {(addr.postcode + ' ') if addr.postcode else ''}{addr.city}"
            + (f" ({addr.note})" if addr.note else "")
        )
    if office.phone:
        lines.append(f"Telefon: {office.phone}")
    if office.email:
        lines.append(f"E-Mail: {office.email}")
    if office.appointment_url:
        lines.append(f"Termine: {office.appointment_url}")
    return "\n".join(lines)


def hours_text(office: Office) -> str:
    weekly = hrs.weekly_lines(office)
    if not weekly and not office.hours_note:
        return f"Zu den Öffnungszeiten von {office.name} habe ich keine gesicherten Angaben. {ask_whom(office)}"
    lines = [f"Öffnungszeiten {office.name}:"] + [f"• {w}" for w in weekly]
    if office.hours_note:
        lines.append(office.hours_note)
    return "\n".join(lines)


def _breadth(s: Service, aspect: str, office: Office | None) -> str:
    lines = [f"Ich kenne diese Leistung aus dem bundesweiten Leistungskatalog: „{s.name}“."]
    if aspect == "legal" and s.legal_basis:
        lines.append(_legal(s, office))
    elif s.topic:
        lines.append(f"Themenbereich: {s.topic}.")
    lines.append(
        "Genaue Angaben für Jena zu Unterlagen, Kosten und Ablauf habe ich dazu nicht. "
        "Bitte wenden Sie sich an den Bürgerservice der Stadt Jena: Telefon 03641 49-0, oder suchen Sie auf https://service.jena.de."
    )
    return "\n".join(lines)


def _bullets(head: str, items: list[str]) -> str:
    return "\n".join([head] + [f"• {i}" for i in items]) if items else ""


_BUILDERS = {
    "fees": _fees,
    "documents": _documents,
    "requirements": _requirements,
    "procedure": _procedure,
    "duration": _duration,
    "online": _online,
    "legal": _legal,
    "location": _location,
    "hours": _hours,
    "general": _general,
}
