"""German answer texts for one service and one aspect, built only from catalogue fields.

Every answer ends with its source and the date of the information. A missing field is said
plainly, with whom to ask instead; nothing is filled in from elsewhere. The wording is in ``texts``.
"""

from __future__ import annotations

from collections.abc import Callable

from actions import texts
from actions.offices import city_phone
from actions.texts import UNKNOWN
from knowledge import hours as hrs
from knowledge.schema import Fee, Office, Service

__all__ = ["UNKNOWN", "answer", "ask_whom", "fee_line", "hours_text", "office_text", "with_source"]


def answer(service: Service, aspect: str, office: Office | None) -> str:
    """One aspect of one service, without the source line (``with_source`` adds it once per reply)."""
    if service.tier == "breadth":
        return _breadth(service, aspect, office)
    body = _BUILDERS.get(aspect, _general)(service, office)
    return body if body else f"{UNKNOWN} {ask_whom(office)}"


def with_source(text: str, service: Service, office: Office | None = None) -> str:
    return f"{text}\n\n{texts.SOURCE.format(source=service.source, stand=service.stand)}"


def ask_whom(office: Office | None) -> str:
    if office is None:
        return texts.ASK_CITY.format(phone=city_phone())
    contact = [
        *([texts.CONTACT_PHONE.format(phone=office.phone)] if office.phone else []),
        *([texts.CONTACT_EMAIL.format(email=office.email)] if office.email else []),
    ]
    return texts.ASK_OFFICE.format(name=office.name, contact="".join(f", {c}" for c in contact))


def fee_line(fee: Fee) -> str:
    amount = fee.text or texts.EURO.format(amount=f"{fee.amount_eur:.2f}".replace(".", ","))
    return texts.FEE_CONDITION.format(amount=amount, condition=fee.condition) if fee.condition else amount


def _fees(s: Service, office: Office | None) -> str:
    if not s.fees and not s.fees_note:
        return ""
    lines = [texts.FEES_HEAD.format(name=s.name)] if s.fees else []
    lines += [texts.BULLET.format(item=fee_line(f)) for f in s.fees]
    if s.fees_note:
        lines.append(s.fees_note)
    return "\n".join(lines)


def _documents(s: Service, office: Office | None) -> str:
    return _bullets(texts.DOCUMENTS_HEAD.format(name=s.name), s.documents)


def _requirements(s: Service, office: Office | None) -> str:
    return _bullets(texts.REQUIREMENTS_HEAD.format(name=s.name), s.prerequisites)


def _procedure(s: Service, office: Office | None) -> str:
    if not s.steps:
        return ""
    steps = [texts.STEP.format(number=i, step=step) for i, step in enumerate(s.steps, 1)]
    return "\n".join([texts.PROCEDURE_HEAD.format(name=s.name), *steps])


def _duration(s: Service, office: Office | None) -> str:
    return texts.DURATION.format(time=s.processing_time) if s.processing_time else ""


def _online(s: Service, office: Office | None) -> str:
    if s.online is None:
        return ""
    parts = [texts.ONLINE_YES if s.online.available else texts.ONLINE_NO]
    if s.online.note:
        parts.append(s.online.note)
    if s.online.url:
        parts.append(texts.ONLINE_LINK.format(url=s.online.url))
    return " ".join(parts)


def _legal(s: Service, office: Office | None) -> str:
    return _bullets(texts.LEGAL_HEAD, s.legal_basis)


def _location(s: Service, office: Office | None) -> str:
    return office_text(office, texts.LOCATION_LEAD.format(name=s.name)) if office else ""


def _hours(s: Service, office: Office | None) -> str:
    return hours_text(office) if office else ""


def _general(s: Service, office: Office | None) -> str:
    parts = [texts.GENERAL_SUMMARY.format(name=s.name, summary=s.summary) if s.summary else s.name]
    if office:
        parts.append(texts.GENERAL_OFFICE.format(name=office.name))
    parts.append(texts.GENERAL_MORE)
    return "\n".join(parts)


def office_text(office: Office, lead: str) -> str:
    lines = [texts.OFFICE_LEAD.format(lead=lead, name=office.name)]
    if office.address:
        addr = office.address
        postcode = f"{addr.postcode} " if addr.postcode else ""
        note = texts.ADDRESS_NOTE.format(note=addr.note) if addr.note else ""
        lines.append(texts.ADDRESS.format(street=addr.street, postcode=postcode, city=addr.city) + note)
    if office.phone:
        lines.append(texts.PHONE.format(phone=office.phone))
    if office.email:
        lines.append(texts.EMAIL.format(email=office.email))
    if office.appointment_url:
        lines.append(texts.APPOINTMENTS.format(url=office.appointment_url))
    return "\n".join(lines)


def hours_text(office: Office) -> str:
    weekly = hrs.weekly_lines(office)
    if not weekly and not office.hours_note:
        return texts.HOURS_UNKNOWN.format(name=office.name, ask=ask_whom(office))
    lines = [texts.HOURS_HEAD.format(name=office.name), *(texts.BULLET.format(item=w) for w in weekly)]
    if office.hours_note:
        lines.append(office.hours_note)
    return "\n".join(lines)


def _breadth(s: Service, aspect: str, office: Office | None) -> str:
    lines = [texts.BREADTH_HEAD.format(name=s.name)]
    if aspect == "legal" and s.legal_basis:
        lines.append(_legal(s, office))
    elif s.topic:
        lines.append(texts.BREADTH_TOPIC.format(topic=s.topic))
    lines.append(texts.BREADTH_ASK.format(phone=city_phone()))
    return "\n".join(lines)


def _bullets(head: str, items: list[str]) -> str:
    return "\n".join([head, *(texts.BULLET.format(item=i) for i in items)]) if items else ""


_BUILDERS: dict[str, Callable[[Service, Office | None], str]] = {
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
