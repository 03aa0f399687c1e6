"""German answer texts for one service and one aspect, built only from catalogue fields.

Every answer ends with its source and the date of the information. A missing field is said
plainly, with whom to ask instead; nothing is filled in from elsewhere. The wording is in ``texts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from actions import texts
from actions.offices import city_phone
from actions.responsibility import BUND_PORTAL, JENA_PORTAL, LAND_PORTAL, leika_types, responsibility
from actions.texts import UNKNOWN
from knowledge import hours as hrs
from knowledge.breadth import LEIKA_STAND
from knowledge.schema import Fee, Office, Service

__all__ = [
    "UNKNOWN",
    "also_line",
    "answer",
    "has_data",
    "ask_whom",
    "fee_line",
    "hours_text",
    "office_field",
    "office_text",
    "other_contact",
    "source_of",
    "with_source",
]

_PHOTO_WORDS = re.compile(r"foto|passbild|lichtbild", re.IGNORECASE)


def answer(service: Service, aspect: str, office: Office | None) -> str:
    """One aspect of one service, without the source line (``with_source`` adds it once per reply)."""
    if service.tier == "breadth":
        return _breadth(service, aspect, office)
    body = _BUILDERS.get(aspect, _general)(service, office)
    return body if body else f"{UNKNOWN} {ask_whom(office)}"


def has_data(service: Service, aspect: str, office: Office | None) -> bool:
    """Whether the entry (or its office) says something about this aspect."""
    return service.tier == "rich" and bool(_BUILDERS.get(aspect, _general)(service, office))


def source_of(service: Service) -> tuple[str, date]:
    """The page a citizen can follow, and its date. A breadth entry has no page of its own: the portal where
    the responsible authority is found stands in for the catalogue file it was read from."""
    if service.tier == "breadth":
        return responsibility(leika_types(service.leika_object)).portal, LEIKA_STAND
    return str(service.source), service.stand


def with_source(text: str, service: Service, office: Office | None = None) -> str:
    source, stand = source_of(service)
    return f"{text}\n\n{texts.SOURCE.format(source=source, stand=stand)}"


def also_line(service: Service) -> str:
    """A second service the citizen's situation needs too, in one sentence from its own summary."""
    summary = _first_sentence(service.summary) if service.summary else ""
    return texts.ALSO.format(name=service.name, summary=summary).rstrip(": ")


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
    if office is None:
        return ""
    if outside_city(office):
        return office_text(office, first=texts.LOCATION_OUTSIDE.format(name=s.name, office=office.name))
    return office_text(office, texts.LOCATION_LEAD.format(name=s.name))


def _hours(s: Service, office: Office | None) -> str:
    return hours_text(office) if office else ""


def _booking(s: Service, office: Office | None) -> str:
    url = s.booking_url or (office.appointment_url if office else None)
    return texts.BOOKING.format(name=s.name, url=url) if url else ""


def _photo(s: Service, office: Office | None) -> str:
    """The entry's photo rule; else what its document list says about a photo."""
    if s.photo:
        return texts.PHOTO.format(name=s.name, photo=s.photo)
    return _bullets(texts.PHOTO_DOCUMENTS.format(name=s.name), [d for d in s.documents if _PHOTO_WORDS.search(d)])


def _form(s: Service, office: Office | None) -> str:
    if s.form_url:
        return texts.FORM.format(name=s.name, url=s.form_url)
    if s.online is not None and s.online.available and s.online.url:
        return texts.FORM_ONLINE.format(name=s.name, url=s.online.url)
    return ""


def _phone(s: Service, office: Office | None) -> str:
    return office_field(office, "phone") if office else ""


def _email(s: Service, office: Office | None) -> str:
    return office_field(office, "email") if office else ""


def _general(s: Service, office: Office | None) -> str:
    parts = [texts.GENERAL_SUMMARY.format(name=s.name, summary=s.summary) if s.summary else s.name]
    if office and outside_city(office):
        parts.append(texts.GENERAL_OUTSIDE.format(name=office.name, contact=_short_contact(office)))
    elif office:
        parts.append(texts.GENERAL_OFFICE.format(name=office.name))
    parts.append(texts.GENERAL_MORE)
    return "\n".join(parts)


def outside_city(office: Office) -> bool:
    """A body outside the city administration (a state or federal authority, the pension insurance, ...)."""
    return office.level != "kommune"


def _short_contact(office: Office) -> str:
    """ ", Telefon …" or ", https://…" for a body outside the city; "" when its file has neither."""
    contact = texts.CONTACT_PHONE.format(phone=office.phone) if office.phone else (office.website or "")
    return f", {contact}" if contact else ""


def office_field(office: Office, aspect: str) -> str:
    """Exactly the field of an office a question asks for ("Welche Telefonnummer hat …?"); "" when its file
    does not have it. ``location`` is the address with phone and e-mail, as an office's card shows it."""
    if aspect == "phone" and office.phone:
        return texts.OFFICE_PHONE.format(name=office.name, phone=office.phone)
    if aspect == "email" and office.email:
        return texts.OFFICE_EMAIL.format(name=office.name, email=office.email)
    if aspect == "booking" and office.appointment_url:
        return texts.APPOINTMENTS.format(url=office.appointment_url)
    if aspect == "location" and (office.address or office.phone or office.email or office.website):
        return office_text(office, first=f"{office.name}.")
    return ""


def other_contact(office: Office) -> str:
    """Every way to reach an office its file names (for a question about a field it does not have)."""
    contact = [
        *([texts.CONTACT_PHONE.format(phone=office.phone)] if office.phone else []),
        *([texts.CONTACT_EMAIL.format(email=office.email)] if office.email else []),
        *([office.website] if office.website else []),
    ]
    return texts.OFFICE_OTHER_CONTACT.format(contact=", ".join(contact)) if contact else ""


def office_text(office: Office, lead: str = "", first: str = "") -> str:
    """An office's card: ``first`` line (or ``lead`` followed by its name), address, phone, e-mail, booking, website."""
    lines = [first or texts.OFFICE_LEAD.format(lead=lead, name=office.name)]
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
    if office.website and not (office.address or office.phone or office.email):
        lines.append(texts.WEBSITE.format(url=office.website))
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
    """What the nationwide catalogue says: the name, who usually handles it (LeiKa typisation) and where a
    citizen finds that authority; never a Jena office the entry does not name."""
    lines = [texts.BREADTH_HEAD.format(name=s.name)]
    if aspect == "legal" and s.legal_basis:
        lines.append(_legal(s, office))
    lines.append(texts.BREADTH_NO_DETAILS)
    who = responsibility(leika_types(s.leika_object))
    if who.known:
        lines.append(texts.BREADTH_LEVEL.format(rule=who.rule_words, executes=who.executes_words))
    if "kommune" in who.executes or not who.known:
        lines.append(texts.BREADTH_ASK_CITY.format(phone=city_phone(), url=JENA_PORTAL))
    if "land" in who.executes:
        lines.append(texts.BREADTH_ASK_LAND.format(url=LAND_PORTAL, name=s.name))
    if "bund" in who.executes:
        lines.append(texts.BREADTH_ASK_BUND.format(url=BUND_PORTAL, name=s.name))
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


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
    "booking": _booking,
    "photo": _photo,
    "form": _form,
    "phone": _phone,
    "email": _email,
    "general": _general,
}
