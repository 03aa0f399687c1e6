"""English wording around catalogue fields: the same templates as ``texts`` (same names, same placeholders).

English answers name the service in English and by its German official name, and end with a note that
the German text is binding, with the same source and date as the German answer. Fixed replies are the
English variations of the ``domain.yml`` responses.
"""

from __future__ import annotations

# --- any answer -------------------------------------------------------------------------------
SOURCE = "The German text is binding: {source} (as of {stand})."  # stand: "1 June 2025"
UNKNOWN = "I have no reliable information on this."
ASK_CITY = "Please ask the City of Jena: phone {phone} (switchboard)."
ASK_OFFICE = "Please ask there: {name}{contact}."  # contact: "" or ", phone …, e-mail …"
CONTACT_PHONE = "phone {phone}"
CONTACT_EMAIL = "e-mail {email}"
BULLET = "• {item}"
STEP = "{number}. {step}"
SERVICE_NAME = "“{en}” (German: „{de}“)"  # the English name beside the German official one
GERMAN_NAME = "„{de}“ (German official name)"  # an entry without English texts
ONLY_GERMAN = "Only in German: {text}"  # a field without an English text yet

# --- one aspect of a service ------------------------------------------------------------------
EURO = "{amount} euros"  # amount with a decimal point
FEE_CONDITION = "{amount} ({condition})"
FEES_HEAD = "Costs for {name}:"
DOCUMENTS_HEAD = "For {name} you need:"
REQUIREMENTS_HEAD = "Requirements for {name}:"
PROCEDURE_HEAD = "How {name} works:"
DURATION = "Processing time: {time}"
ONLINE_YES = "Yes, this can be done online."
ONLINE_NO = "This cannot be done completely online."
ONLINE_LINK = "Link: {url}"
LEGAL_HEAD = "Legal basis (German law):"
LOCATION_LEAD = "Responsible for {name}"
GENERAL_SUMMARY = "{name}: {summary}"
GENERAL_OFFICE = "Responsible: {name}."
GENERAL_MORE = "You can also ask me about documents, costs, processing time, the procedure or opening hours."
BREADTH_HEAD = (
    "I know this service from the nationwide catalogue of administrative services, under its German official name: "
    "„{name}“."
)
BREADTH_TOPIC = "Topic (German): {topic}."
BREADTH_ASK = (
    "I have no details for Jena on documents, costs and the procedure. "
    "Please contact the City of Jena: phone {phone} (switchboard), or search on https://service.jena.de."
)

# --- an office --------------------------------------------------------------------------------
OFFICE_LEAD = "{lead}: {name}."
ADDRESS = "Address: {street}, {postcode}{city}"  # postcode: "" or "07743 "
ADDRESS_NOTE = " ({note})"
PHONE = "Phone: {phone}"
EMAIL = "E-mail: {email}"
APPOINTMENTS = "Appointments: {url}"
HOURS_UNKNOWN = "I have no reliable information on the opening hours of {name}. {ask}"
HOURS_HEAD = "Opening hours of {name}:"

# --- opening hours on a day -------------------------------------------------------------------
TODAY = "Today, {day}"
ON_DAY = "{when}: {text}"
OPEN_NOW = "Yes, {name} is open now ({when}), today until {end:%H:%M}."
CLOSED_NOW = "No, {name} is not open now ({when}, {now:%H:%M})."
NEXT_OPENING = " Next opening: {day} at {start:%H:%M}."
OPEN_ON_DAY = "{when}: {name} is open, {spans}."
REASON = " ({reason})"
CLOSED_ON_DAY = "{when}: {name} is closed{reason}."
HOURS_HINT = "\nNote: {note}"
