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
CITY_ADMINISTRATION = "City of Jena (Stadtverwaltung Jena)"  # whom to call when an office file has no phone
BULLET = "• {item}"
STEP = "{number}. {step}"
SERVICE_NAME = "“{en}” (German: „{de}“)"  # the English name beside the German official one
SERVICE_NAME_WITH_GERMAN = "“{en}”"  # an English name that already quotes the German official one
GERMAN_NAME = "„{de}“ (German official name)"  # an entry without English texts
ONLY_GERMAN = "Only in German: {text}"  # a field without an English text yet

# --- one aspect of a service ------------------------------------------------------------------
EURO = "{amount} euros"  # amount with a decimal point
FEE_CONDITION = "{amount} ({condition})"
FEE_CONDITION_DASH = "{amount} – {condition}"  # the condition has brackets of its own
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
LOCATION_OUTSIDE = "The City of Jena is not responsible for {name}. Responsible: {office}."
GENERAL_SUMMARY = "{name}: {summary}"
GENERAL_OFFICE = "Responsible: {name}."
GENERAL_OUTSIDE = (
    "The City of Jena is not responsible for this. Responsible: {name}{contact}."  # contact: "" or ", phone …"
)
GENERAL_MORE = "You can also ask me about documents, costs, processing time, the procedure or opening hours."
BOOKING = "Book an appointment for {name} here: {url}"
PHOTO = "Photo for {name}: {photo}"
PHOTO_DOCUMENTS = "About the photo for {name}:"
FORM = "You find the form for {name} here: {url}"
FORM_ONLINE = "I know of no separate form for {name}. You can apply online here: {url}"
OFFICE_PHONE = "Phone of {name}: {phone}"
OFFICE_EMAIL = "E-mail of {name}: {email}"
OFFICE_FIELD_UNKNOWN = {
    "phone": "{name}: I have no phone number.",
    "email": "{name}: I have no e-mail address.",
    "location": "{name}: I have no address.",
    "booking": "{name}: I have no link for booking an appointment.",
}
OFFICE_OTHER_CONTACT = "You can reach it here: {contact}."  # contact: "e-mail …" / "phone …" / a website
ALSO = "Also important – {name}: {summary}"  # a second service the situation needs (a lost ID: a new one)

# --- a service from the nationwide catalogue (LeiKa), without Jena's details ------------------
BREADTH_HEAD = "I know this service from the nationwide catalogue of administrative services: {name}."
BREADTH_TOPIC = "Topic (German): {topic}."
BREADTH_NO_DETAILS = "I have no details for Jena on documents, costs and the procedure."
BREADTH_AGAIN = "I have no details for Jena on that either for {name}. It is best to ask directly:"
#: Who usually handles it (see actions/responsibility.py): {rule} regulates, {executes} carries it out.
BREADTH_LEVEL = "It is regulated {rule}; usually {executes} is responsible."
BREADTH_ASK_CITY = "At the City of Jena, the city administration can help: phone {phone}, or search on {url}."
BREADTH_ASK_LAND = "You find the responsible office in Thuringia on the state portal: {url} (search: „{name}“)."
BREADTH_ASK_BUND = "You find federal authorities on the federal administration portal: {url} (search: „{name}“)."

# --- an office --------------------------------------------------------------------------------
OFFICE_LEAD = "{lead}: {name}."
ADDRESS = "Address: {street}, {postcode}{city}"  # postcode: "" or "07743 "
ADDRESS_NOTE = " ({note})"
PHONE = "Phone: {phone}"
EMAIL = "E-mail: {email}"
APPOINTMENTS = "Appointments: {url}"
WEBSITE = "Website: {url}"
HOURS_UNKNOWN = "I have no reliable information on the opening hours of {name}. {ask}"
HOURS_HEAD = "Opening hours – {name}:"  # no article: "Your employer", "Jobcenter jenarbeit"

# --- opening hours on a day -------------------------------------------------------------------
TODAY = "Today, {day}"
ON_DAY = "{when}: {text}"
OPEN_NOW = "Yes, {name} is open now ({when}), today until {end:%H:%M}."
CLOSED_NOW = "No, {name} is not open now ({when}, {now:%H:%M})."
NEXT_OPENING = " Next opening: {day} at {start:%H:%M}."
OPEN_ON_DAY = "{when}: {name} is open, {spans}."
CLOSED_FOR_TODAY = "{when}: {name} was open today until {end:%H:%M}; it is closed now."
REGULAR_BEYOND_HORIZON = (
    "{when}: On this weekday {name} is usually open, {spans}. Whether it is closed on that day I do not know: "
    "I only know closing days up to {until}."
)
REASON = " ({reason})"
CLOSED_ON_DAY = "{when}: {name} is closed{reason}."
DAY_UNKNOWN = (
    "{when}: I do not know yet if {name} is open on that day. On this weekday it only opens on announced dates."
)
CHECK_WEB_PHONE = "Please check {url} or call: phone {phone}."
CHECK_WEB = "Please check {url}."
BEYOND_HORIZON = "I only know closing days up to {until}."  # until: "30 June 2027"
