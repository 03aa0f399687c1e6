"""Answer texts for one service and one aspect, built only from catalogue fields, in German or English.

Every answer ends with its source and the date of the information. A missing field is said
plainly, with whom to ask instead; nothing is filled in from elsewhere. The wording is in ``texts``
(German) and ``texts_en`` (English). English answers use the entry's ``en`` texts and name the German
official name beside the English one; a field whose English text is still missing is shown in German,
marked as such. The German text stays binding, and the English source line says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import ModuleType

from actions import texts, texts_en
from actions.offices import city_phone
from actions.responsibility import BUND_PORTAL, JENA_PORTAL, LAND_PORTAL, leika_types, responsibility
from actions.texts import UNKNOWN
from knowledge import hours as hrs
from knowledge.breadth import LEIKA_STAND
from knowledge.language import Language
from knowledge.schema import Fee, FeeEn, Office, Service

__all__ = [
    "UNKNOWN",
    "also_line",
    "answer",
    "has_data",
    "ask_whom",
    "fee_line",
    "hours_text",
    "office_field",
    "office_name",
    "office_text",
    "other_contact",
    "source_of",
    "with_source",
]

WORDING: dict[Language, ModuleType] = {"de": texts, "en": texts_en}
_PHOTO_WORDS = re.compile(r"foto|passbild|lichtbild|photo|picture", re.IGNORECASE)


@dataclass(frozen=True)
class Fields:
    """The texts of one service in one language: English where the entry has them, else German (marked)."""

    name: str  # as the answer names it: German name, or English name with the German official name
    summary: str | None
    steps: list[str]
    documents: list[str]
    prerequisites: list[str]
    fees_note: str | None
    processing_time: str | None
    online_note: str | None
    fee_texts: list[FeeEn]  # one per German fee row: English text/condition, or empty

    @classmethod
    def of(cls, s: Service, lang: Language) -> Fields:
        online_note = s.online.note if s.online else None
        en = s.en if lang == "en" else None
        if en is None:
            german = cls(
                name=s.name if lang == "de" else texts_en.GERMAN_NAME.format(de=s.name),
                summary=s.summary,
                steps=s.steps,
                documents=s.documents,
                prerequisites=s.prerequisites,
                fees_note=s.fees_note,
                processing_time=s.processing_time,
                online_note=online_note,
                fee_texts=[FeeEn() for _ in s.fees],
            )
            return german if lang == "de" else german.marked()
        fee_texts = en.fees if len(en.fees) == len(s.fees) else [FeeEn() for _ in s.fees]
        return cls(
            name=_english_name(en.name, s.name),
            summary=_english(en.summary, s.summary),
            steps=_english_list(en.steps, s.steps),
            documents=_english_list(en.documents, s.documents),
            prerequisites=_english_list(en.prerequisites, s.prerequisites),
            fees_note=_english(en.fees_note, s.fees_note),
            processing_time=_english(en.processing_time, s.processing_time),
            online_note=_english(en.online_note, online_note),
            fee_texts=fee_texts,
        )

    def marked(self) -> Fields:
        """German texts shown in an English answer, each marked as German."""
        only = texts_en.ONLY_GERMAN.format
        return Fields(
            name=self.name,
            summary=only(text=self.summary) if self.summary else None,
            steps=[only(text=t) for t in self.steps],
            documents=[only(text=t) for t in self.documents],
            prerequisites=[only(text=t) for t in self.prerequisites],
            fees_note=only(text=self.fees_note) if self.fees_note else None,
            processing_time=only(text=self.processing_time) if self.processing_time else None,
            online_note=only(text=self.online_note) if self.online_note else None,
            fee_texts=self.fee_texts,
        )


def _english_name(english: str, german: str) -> str:
    """The English name beside the German official one, unless it already carries it ("Legal aid
    (Prozesskostenhilfe)")."""
    if german.casefold() in english.casefold():
        return texts_en.SERVICE_NAME_WITH_GERMAN.format(en=english)
    return texts_en.SERVICE_NAME.format(en=english, de=german)


def _english(english: str | None, german: str | None) -> str | None:
    return english or (texts_en.ONLY_GERMAN.format(text=german) if german else None)


def _english_list(english: list[str], german: list[str]) -> list[str]:
    return english if english else [texts_en.ONLY_GERMAN.format(text=t) for t in german]


def answer(service: Service, aspect: str, office: Office | None, lang: Language = "de") -> str:
    """One aspect of one service, without the source line (``with_source`` adds it once per reply)."""
    w = WORDING[lang]
    if service.tier == "breadth":
        return breadth_answer(service, [aspect], office, lang)
    body = _BUILDERS.get(aspect, _general)(service, Fields.of(service, lang), office, lang)
    return body if body else f"{w.UNKNOWN} {ask_whom(office, lang)}"


def has_data(service: Service, aspect: str, office: Office | None) -> bool:
    """Whether the entry (or its office) says something about this aspect."""
    builder = _BUILDERS.get(aspect, _general)
    return service.tier == "rich" and bool(builder(service, Fields.of(service, "de"), office, "de"))


def source_of(service: Service) -> tuple[str, date]:
    """The page a citizen can follow, and its date. A breadth entry has no page of its own: the portal where
    the responsible authority is found stands in for the catalogue file it was read from."""
    if service.tier == "breadth":
        return responsibility(leika_types(service.leika_object)).portal, LEIKA_STAND
    return str(service.source), service.stand


def with_source(text: str, service: Service, office: Office | None = None, lang: Language = "de") -> str:
    source, stand = source_of(service)
    return f"{text}\n\n{source_line(source, stand, lang)}"


def also_line(service: Service, lang: Language = "de") -> str:
    """A second service the citizen's situation needs too, in one sentence from its own summary."""
    f = Fields.of(service, lang)
    summary = _first_sentence(f.summary) if f.summary else ""
    return str(WORDING[lang].ALSO.format(name=f.name, summary=summary)).rstrip(": ")


def source_line(source: str, stand: date, lang: Language = "de") -> str:
    """ "Quelle: … (Stand: …)"; in English, that the German text is binding, with the same source and date."""
    if lang == "en":
        return texts_en.SOURCE.format(source=source, stand=hrs.english_date(stand))
    return texts.SOURCE.format(source=source, stand=stand)


def office_name(office: Office, lang: Language = "de") -> str:
    """The office's name in the answer's language (the English name contains the German one)."""
    return office.en.name if lang == "en" and office.en is not None else office.name


def ask_whom(office: Office | None, lang: Language = "de") -> str:
    w = WORDING[lang]
    if office is None:
        return str(w.ASK_CITY.format(phone=city_phone()))
    contact = [
        *([w.CONTACT_PHONE.format(phone=office.phone)] if office.phone else []),
        *([w.CONTACT_EMAIL.format(email=office.email)] if office.email else []),
    ]
    return str(w.ASK_OFFICE.format(name=office_name(office, lang), contact="".join(f", {c}" for c in contact)))


def fee_line(fee: Fee, lang: Language = "de", english: FeeEn | None = None) -> str:
    """One fee row: the amount (or its text) and for whom it applies; in English with the English texts."""
    w = WORDING[lang]
    text = (english.text if english else None) or fee.text
    condition = (english.condition if english else None) or fee.condition
    if lang == "de":
        amount = text or w.EURO.format(amount=f"{fee.amount_eur:.2f}".replace(".", ","))
    else:
        amount = text or w.EURO.format(amount=f"{fee.amount_eur:.2f}")
    if not condition:
        return str(amount)
    if "(" in condition:  # "ab 24 Jahren (gültig 10 Jahre)": no brackets inside brackets
        return str(w.FEE_CONDITION_DASH.format(amount=amount, condition=condition))
    return str(w.FEE_CONDITION.format(amount=amount, condition=condition))


Builder = Callable[[Service, Fields, Office | None, Language], str]


def _fees(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    if not s.fees and not f.fees_note:
        return ""
    lines = [w.FEES_HEAD.format(name=f.name)] if s.fees else []
    lines += [w.BULLET.format(item=fee_line(fee, lang, en)) for fee, en in zip(s.fees, f.fee_texts, strict=True)]
    if f.fees_note:
        lines.append(f.fees_note)
    return "\n".join(lines)


def _documents(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return _bullets(WORDING[lang].DOCUMENTS_HEAD.format(name=f.name), f.documents, lang)


def _requirements(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return _bullets(WORDING[lang].REQUIREMENTS_HEAD.format(name=f.name), f.prerequisites, lang)


def _procedure(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    if not f.steps:
        return ""
    steps = [w.STEP.format(number=i, step=step) for i, step in enumerate(f.steps, 1)]
    return "\n".join([w.PROCEDURE_HEAD.format(name=f.name), *steps])


def _duration(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return str(WORDING[lang].DURATION.format(time=f.processing_time)) if f.processing_time else ""


def _online(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    if s.online is None:
        return ""
    parts = [w.ONLINE_YES if s.online.available else w.ONLINE_NO]
    if f.online_note:
        parts.append(f.online_note)
    if s.online.url:
        parts.append(w.ONLINE_LINK.format(url=s.online.url))
    return " ".join(parts)


def _legal(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return _bullets(WORDING[lang].LEGAL_HEAD, s.legal_basis, lang)


def _location(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    if office is None:
        return ""
    if outside_city(office):
        return office_text(
            office, first=w.LOCATION_OUTSIDE.format(name=f.name, office=office_name(office, lang)), lang=lang
        )
    return office_text(office, w.LOCATION_LEAD.format(name=f.name), lang=lang)


def _hours(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return hours_text(office, lang) if office else ""


def _booking(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    url = s.booking_url or (office.appointment_url if office else None)
    return str(WORDING[lang].BOOKING.format(name=f.name, url=url)) if url else ""


def _photo(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    """The entry's photo rule; else what its document list says about a photo."""
    w = WORDING[lang]
    if s.photo:
        photo = s.photo if lang == "de" else texts_en.ONLY_GERMAN.format(text=s.photo)
        return str(w.PHOTO.format(name=f.name, photo=photo))
    documents = [d for d in f.documents if _PHOTO_WORDS.search(d)]
    return _bullets(w.PHOTO_DOCUMENTS.format(name=f.name), documents, lang)


def _form(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    if s.form_url:
        return str(w.FORM.format(name=f.name, url=s.form_url))
    if s.online is not None and s.online.available and s.online.url:
        return str(w.FORM_ONLINE.format(name=f.name, url=s.online.url))
    return ""


def _phone(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return office_field(office, "phone", lang) if office else ""


def _email(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    return office_field(office, "email", lang) if office else ""


def _general(s: Service, f: Fields, office: Office | None, lang: Language) -> str:
    w = WORDING[lang]
    parts = [w.GENERAL_SUMMARY.format(name=f.name, summary=f.summary) if f.summary else f.name]
    if office and outside_city(office):
        parts.append(w.GENERAL_OUTSIDE.format(name=office_name(office, lang), contact=_short_contact(office, lang)))
    elif office:
        parts.append(w.GENERAL_OFFICE.format(name=office_name(office, lang)))
    parts.append(w.GENERAL_MORE)
    return "\n".join(parts)


def outside_city(office: Office) -> bool:
    """A body outside the city administration (a state or federal authority, the pension insurance, ...)."""
    return office.level != "kommune"


def _short_contact(office: Office, lang: Language = "de") -> str:
    """ ", Telefon …" or ", https://…" for a body outside the city; "" when its file has neither."""
    w = WORDING[lang]
    contact = w.CONTACT_PHONE.format(phone=office.phone) if office.phone else (office.website or "")
    return f", {contact}" if contact else ""


def office_field(office: Office, aspect: str, lang: Language = "de") -> str:
    """Exactly the field of an office a question asks for ("Welche Telefonnummer hat …?"); "" when its file
    does not have it. ``location`` is the address with phone and e-mail, as an office's card shows it."""
    w, name = WORDING[lang], office_name(office, lang)
    if aspect == "phone" and office.phone:
        return str(w.OFFICE_PHONE.format(name=name, phone=office.phone))
    if aspect == "email" and office.email:
        return str(w.OFFICE_EMAIL.format(name=name, email=office.email))
    if aspect == "booking" and office.appointment_url:
        return str(w.APPOINTMENTS.format(url=office.appointment_url))
    if aspect == "location" and (office.address or office.phone or office.email or office.website):
        return office_text(office, first=f"{name}.", lang=lang)
    return ""


def other_contact(office: Office, lang: Language = "de") -> str:
    """Every way to reach an office its file names (for a question about a field it does not have)."""
    w = WORDING[lang]
    contact = [
        *([w.CONTACT_PHONE.format(phone=office.phone)] if office.phone else []),
        *([w.CONTACT_EMAIL.format(email=office.email)] if office.email else []),
        *([office.website] if office.website else []),
    ]
    return str(w.OFFICE_OTHER_CONTACT.format(contact=", ".join(contact))) if contact else ""


def office_text(office: Office, lead: str = "", first: str = "", lang: Language = "de") -> str:
    """An office's card: ``first`` line (or ``lead`` followed by its name), address, phone, e-mail, booking, website."""
    w = WORDING[lang]
    lines = [first or w.OFFICE_LEAD.format(lead=lead, name=office_name(office, lang))]
    if office.address:
        addr = office.address
        postcode = f"{addr.postcode} " if addr.postcode else ""
        note = (office.en.address_note if lang == "en" and office.en else None) or addr.note
        lines.append(
            w.ADDRESS.format(street=addr.street, postcode=postcode, city=addr.city)
            + (w.ADDRESS_NOTE.format(note=note) if note else "")
        )
    if office.phone:
        lines.append(w.PHONE.format(phone=office.phone))
    if office.email:
        lines.append(w.EMAIL.format(email=office.email))
    if office.appointment_url:
        lines.append(w.APPOINTMENTS.format(url=office.appointment_url))
    if office.website and not (office.address or office.phone or office.email):
        lines.append(w.WEBSITE.format(url=office.website))
    return "\n".join(lines)


def hours_note(office: Office, lang: Language = "de") -> str | None:
    english = office.en.hours_note if lang == "en" and office.en is not None else None
    if english or lang == "de" or not office.hours_note:
        return english or office.hours_note
    return str(texts_en.ONLY_GERMAN.format(text=office.hours_note))


def hours_text(office: Office, lang: Language = "de") -> str:
    w = WORDING[lang]
    weekly = hrs.weekly_lines(office, lang)
    note = hours_note(office, lang)
    if not weekly and not note:
        return str(w.HOURS_UNKNOWN.format(name=office_name(office, lang), ask=ask_whom(office, lang)))
    lines = [w.HOURS_HEAD.format(name=office_name(office, lang)), *(w.BULLET.format(item=line) for line in weekly)]
    if note:
        lines.append(note)
    return "\n".join(lines)


def breadth_answer(
    s: Service, aspects: list[str], office: Office | None, lang: Language = "de", again: bool = False
) -> str:
    """What the nationwide catalogue says: the name, who usually handles it (LeiKa typisation) and where a
    citizen finds that authority; never a Jena office the entry does not name. One block for all aspects
    asked; ``again`` (a follow-up on the same entry) leaves out what the citizen has just read."""
    w = WORDING[lang]
    fields = Fields.of(s, lang)
    legal = [_legal(s, fields, office, lang)] if "legal" in aspects and s.legal_basis else []
    who = responsibility(leika_types(s.leika_object))
    if again:
        lines = [*legal, w.BREADTH_AGAIN.format(name=fields.name)]
    else:
        lines = [w.BREADTH_HEAD.format(name=fields.name), *legal, w.BREADTH_NO_DETAILS]
        if who.known:
            lines.append(w.BREADTH_LEVEL.format(rule=who.rule_words_in(lang), executes=who.executes_words_in(lang)))
    if "kommune" in who.executes or not who.known:
        lines.append(w.BREADTH_ASK_CITY.format(phone=city_phone(), url=JENA_PORTAL))
    if "land" in who.executes:
        lines.append(w.BREADTH_ASK_LAND.format(url=LAND_PORTAL, name=s.name))
    if "bund" in who.executes:
        lines.append(w.BREADTH_ASK_BUND.format(url=BUND_PORTAL, name=s.name))
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


def _bullets(head: str, items: list[str], lang: Language) -> str:
    return "\n".join([head, *(WORDING[lang].BULLET.format(item=i) for i in items)]) if items else ""


_BUILDERS: dict[str, Builder] = {
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
