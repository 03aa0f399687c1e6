"""Request and response bodies of the gateway's HTTP API (pydantic), shared by routes and console pages.

Three groups: the citizen chat (``/api/chat``), the bot's own processes (``/api/internal``) and staff
(``/api/staff``, ``/api/tickets``, ``/api/gaps``; the console renders the same view models). The class
names are the schema names in the OpenAPI document, so renaming one changes the published API.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, confloat, conint, constr

MAX_TEXT = 2000  # a citizen's chat message
MAX_REPLY = 4000  # a staff reply or note
CONVERSATION_ID = r"^[A-Za-z0-9_-]{8,64}$"

# Constrained types: pydantic validates them, mypy sees the plain type.
Language = Literal["de", "en"]  # the languages the bot speaks (knowledge.language)

if TYPE_CHECKING:
    ConversationId = str
    ChatText = str
    ClientId = str
    MessageId = int
    AfterId = int
    Vote = int
    SenderId = str
    TranscriptRole = str
    TranscriptText = str
    Reason = str
    Contact = str
    LoginName = str
    LoginPassword = str
    StaffText = str
    NewUsername = str
    NewPassword = str
    SearchText = str
    QueueLimit = int
    Threshold = float
    Days = int
    LabelText = str
    OfficeId = str
    NoteText = str
    CannedTitle = str
    CannedBody = str
    Score = int
    TicketNumber = str
else:
    ConversationId = constr(regex=CONVERSATION_ID)
    ChatText = constr(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
    ClientId = constr(regex=r"^[A-Za-z0-9_-]{1,64}$")
    MessageId = conint(ge=1)
    AfterId = conint(ge=0)
    Vote = conint(ge=-1, le=1)
    SenderId = constr(min_length=1, max_length=128)  # Rasa's sender id, also of other channels
    TranscriptRole = constr(regex="^(citizen|bot)$")
    TranscriptText = constr(max_length=10_000)
    Reason = constr(max_length=2000)
    Contact = constr(strip_whitespace=True, min_length=3, max_length=255)
    LoginName = constr(max_length=200)
    LoginPassword = constr(max_length=1000)
    StaffText = constr(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_REPLY)  # 123 is no text
    NewUsername = constr(strip_whitespace=True, min_length=1, max_length=64)
    NewPassword = constr(min_length=1, max_length=1000)
    SearchText = constr(max_length=200)
    QueueLimit = conint(ge=1, le=500)
    Threshold = confloat(ge=0, le=1)
    Days = conint(ge=1, le=3650)
    LabelText = constr(strip_whitespace=True, min_length=1, max_length=40)
    OfficeId = constr(regex=r"^[a-z0-9][a-z0-9-]{1,79}$")
    NoteText = constr(strict=True, strip_whitespace=True, max_length=MAX_REPLY)
    CannedTitle = constr(strip_whitespace=True, min_length=1, max_length=120)
    CannedBody = constr(strip_whitespace=True, min_length=1, max_length=MAX_REPLY)
    Score = conint(ge=1, le=5)
    TicketNumber = constr(regex=r"^[A-Z]{2}-\d{4}-\d{6,}$")


# --- citizen chat ---------------------------------------------------------------------------


class ChatIn(BaseModel):
    conversation_id: ConversationId | None = Field(None, description="leer = neues Gespräch")
    text: ChatText
    client_id: ClientId | None = Field(
        None, description="Kennung der Nachricht beim Absender: Wiederholungen werden nur einmal gespeichert"
    )
    language: Language | None = Field(
        None,
        description=(
            "Sprache des Gesprächs wechseln (DE/EN-Schalter des Web-Chats, Text z. B. „English“): der Text wird als "
            "Nachricht gespeichert, der Bot bestätigt in der neuen Sprache und antwortet fortan in ihr. Ist der Text "
            "eine Frage, beantwortet der Bot sie; ihre Sprache liest er aus ihr selbst"
        ),
    )


class ChatMessage(BaseModel):
    id: int
    role: str
    text: str
    created_at: datetime
    buttons: list[dict[str, str]] = []
    custom: dict[str, Any] | None = None
    reply_to: int | None = Field(None, description="id der Bürgernachricht, auf die der Bot hier antwortet")


class Status(BaseModel):
    paused: bool = Field(description="True, solange eine Person antwortet und der Bot schweigt")
    ticket: str | None = None
    live: bool | None = None
    ticket_status: str | None = None
    contact: bool | None = Field(
        default=None, description="Ob der offene Vorgang eine freigegebene Kontaktangabe hat (sonst: bitte anrufen)"
    )


class ChatOut(BaseModel):
    conversation_id: str
    messages: list[ChatMessage]
    status: Status


class FeedbackIn(BaseModel):
    conversation_id: ConversationId
    message_id: MessageId
    vote: Vote = Field(description="1 = hilfreich, -1 = nicht hilfreich")


class FeedbackOut(BaseModel):
    ok: bool
    offer_handoff: bool = Field(description="nach Daumen runter: der Chat bietet an, eine Person zu fragen")


# --- the bot's own processes ----------------------------------------------------------------


class TranscriptLine(BaseModel):
    role: TranscriptRole
    text: TranscriptText
    timestamp: float
    meta: dict[str, Any] | None = None


class HandoffIn(BaseModel):
    conversation_id: SenderId
    channel: str | None = Field(None, description="Rasa-Eingangskanal (rest, telegram, socketio …)")
    reason: Reason = ""
    transcript: list[TranscriptLine] = Field(default_factory=list, max_items=500)


class HandoffOut(BaseModel):
    ticket: str
    ticket_id: int
    live: bool
    staff_hours: str
    staff_hours_en: str = Field(default="", description="die Servicezeiten auf Englisch, für englische Gespräche")
    answer_by: date | None = None
    contact: bool = Field(default=False, description="Der Vorgang hat schon eine freigegebene Kontaktangabe")


class ContactIn(BaseModel):
    conversation_id: SenderId
    contact: Contact


class BrokerEvent(BaseModel):
    sender_id: SenderId
    event: str
    timestamp: float
    text: str | None = None
    input_channel: str | None = None
    metadata: dict[str, Any] | None = None
    data: dict[str, Any] | None = None

    class Config:
        extra = "ignore"


# --- staff ----------------------------------------------------------------------------------


class TicketStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"


class Channel(str, Enum):
    web = "web"
    telegram = "telegram"
    rest = "rest"
    socketio = "socketio"


class Assigned(str, Enum):
    me = "me"
    free = "free"


class LoginIn(BaseModel):
    username: LoginName
    password: LoginPassword


class Me(BaseModel):
    id: int
    username: str
    role: str
    csrf_token: str = Field(description="im Header X-CSRF-Token bei jeder schreibenden Anfrage mitsenden")


class TicketOut(BaseModel):
    id: int
    number: str
    status: str
    channel: str
    conversation_id: str
    live: bool = Field(description="True: die Person wartet im Chat; False: Rückmeldung später")
    paused: bool = Field(description="True, solange der Bot schweigt, weil Mitarbeitende antworten")
    reason: str
    contact: str | None = Field(None, description="nur, wenn die Person der Speicherung zugestimmt hat")
    assigned_to: int | None = None
    assigned_to_name: str | None = None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    waiting_seconds: int | None = Field(None, description="Sekunden seit Eröffnung; leer bei abgeschlossenen Vorgängen")
    office: str = Field("buergerservice", description="Amt, in dessen Warteschlange der Vorgang liegt")
    office_name: str = ""
    service_id: str | None = Field(None, description="Leistung, um die es bei der Übergabe ging")
    service_name: str | None = None
    answer_by: date | None = Field(None, description="der Person zugesagter Tag für die Antwort")
    due_at: datetime | None = Field(None, description="Frist für die erste Antwort")
    seconds_left: int | None = Field(None, description="Sekunden bis zur Frist; negativ = überfällig")
    overdue: bool = Field(False, description="Frist verstrichen, noch keine Antwort, nicht abgeschlossen")
    first_reply_at: datetime | None = None
    labels: list[str] = []
    rating: int | None = Field(None, description="Bewertung der Person nach dem Abschluss (1–5)")
    language: str | None = Field(None, description="Sprache des Gesprächs, sobald der Chat sie kennt")


class CardOut(BaseModel):
    """A bot payload as staff read it."""

    type: str = Field(description="answer, clarify, decline oder handoff")
    service: str | None = None
    service_id: str | None = None
    office: str | None = None
    aspects: list[str] = []
    source: str | None = None
    stand: str | None = None
    confidence: float | None = None
    options: list[str] = []
    ticket: str | None = None
    no_data: bool = Field(False, description="die Antwort sagt, dass der Katalog zu einem Aspekt nichts enthält")


class DeliveryOut(BaseModel):
    status: str = Field(description="pending, seen, relayed, emailed oder failed")
    label: str = Field(description="für Menschen: gesehen, per E-Mail gesendet, fehlgeschlagen …")
    seen_at: datetime | None = None
    emailed_at: datetime | None = None
    error: str | None = None


class MessageOut(BaseModel):
    id: int
    role: str
    role_label: str
    text: str
    created_at: datetime
    undelivered: bool = Field(False, description="Antwort gespeichert, aber nicht zugestellt")
    shown_text: str = Field("", description="lesbarer Text: gedrückte Schaltflächen mit ihrem Titel")
    pressed: str | None = Field(None, description="die Nutzlast der gedrückten Schaltfläche")
    card: CardOut | None = None
    offered: list[str] = Field([], description="Schaltflächen, die der Bot angeboten hat")
    delivery: DeliveryOut | None = Field(None, description="nur bei Antworten von Mitarbeitenden")


class NoteOut(BaseModel):
    id: int
    author: int
    author_name: str
    text: str
    created_at: datetime


class TransferOut(BaseModel):
    from_office: str
    from_office_name: str
    to_office: str
    to_office_name: str
    staff_name: str | None = None
    note: str
    created_at: datetime


class CannedFilled(BaseModel):
    """A canned reply with its placeholders filled for one ticket."""

    id: int
    title: str
    text: str


class TicketDetail(BaseModel):
    ticket: TicketOut
    transcript: list[MessageOut]
    notes: list[NoteOut]
    transfers: list[TransferOut] = []
    canned: list[CannedFilled] = []


class TextIn(BaseModel):
    text: StaffText


class AssignIn(BaseModel):
    action: str = Field(
        description="„take“ = selbst übernehmen, „release“ = zurück in die Warteschlange", regex="^(take|release)$"
    )


class GapOut(BaseModel):
    service_id: str = Field(description="nächstliegende Leistung; leer = keine passte")
    total: int
    thumbs_down: int
    unconfident: int
    examples: list[str]


class StaffOut(BaseModel):
    id: int
    username: str
    role: str
    created_at: datetime
    locked: bool
    offices: list[str] = Field([], description="Ämter, deren Warteschlangen das Konto bearbeitet; leer = alle")


class StaffIn(BaseModel):
    username: NewUsername
    password: NewPassword
    role: str = Field("staff", regex="^(staff|editor|admin)$", description="staff, editor (auch Katalog) oder admin")
    offices: list[OfficeId] = Field([], description="Ämter des Kontos; leer = alle Warteschlangen")


# --- the staff inbox ------------------------------------------------------------------------


class OfficeOut(BaseModel):
    id: str
    name: str


class OfficesIn(BaseModel):
    offices: list[OfficeId] = Field(description="Ämter des Kontos; leer = alle Warteschlangen")


class TransferIn(BaseModel):
    office: OfficeId = Field(description="Amt, an das der Vorgang geht")
    note: NoteText = Field("", description="warum (sehen die Mitarbeitenden im Verlauf des Vorgangs)")


class LabelIn(BaseModel):
    label: LabelText


class CannedIn(BaseModel):
    title: CannedTitle
    body: CannedBody = Field(
        description="Text mit Platzhaltern {service}, {office}, {office_hours}, {booking_link}, {phone}"
    )
    office: OfficeId | None = Field(None, description="Amt; leer = für alle Ämter")


class CannedOut(BaseModel):
    id: int
    title: str
    body: str
    office: str | None
    office_name: str | None = None


class BriefOut(BaseModel):
    id: int
    number: str
    office: str
    office_name: str
    reason: str
    live: bool
    assigned: bool
    due_at: datetime | None = None
    overdue: bool


class AttentionOut(BaseModel):
    open: int = Field(description="offene Vorgänge in meinen Warteschlangen")
    overdue: int
    unassigned: int
    overdue_tickets: list[BriefOut]


class DayOut(BaseModel):
    day: date
    conversations: int


class OutcomesOut(BaseModel):
    total: int = Field(description="Gespräche im Zeitraum")
    answered: int = Field(description="der Bot hat zuletzt aus dem Katalog geantwortet")
    clarified: int = Field(description="der Bot hat zuletzt nachgefragt")
    declined: int = Field(description="der Bot war zuletzt unsicher und hat nicht geantwortet")
    handed_off: int = Field(description="an Mitarbeitende übergeben")
    other: int = Field(description="ohne Frage zu einer Leistung (Begrüßung u. Ä.)")


class GapExampleOut(BaseModel):
    question: str
    kind: str = Field(description="thumbs_down, unconfident oder no_data")
    aspects: list[str] = []


class GapGroupOut(BaseModel):
    service_id: str
    service_name: str = Field(description="Name der Leistung; leer = keine passte")
    total: int
    thumbs_down: int
    unconfident: int
    no_data: int = Field(description="Antworten, in denen der Katalog zu einem gefragten Aspekt nichts enthielt")
    examples: list[GapExampleOut]


class DashboardOut(BaseModel):
    since: date
    days: int
    conversations_per_day: list[DayOut]
    outcomes: OutcomesOut
    median_first_reply_seconds: int | None = Field(None, description="Median der Zeit bis zur ersten Antwort")
    tickets: int
    open_tickets: int
    overdue_tickets: int
    feedback_up: int
    feedback_down: int
    ratings: int
    rating_average: float | None = None
    satisfied_share: float | None = Field(None, description="Anteil der Bewertungen 4 oder 5")
    gaps: list[GapGroupOut]


# --- citizen rating -------------------------------------------------------------------------


class RatingIn(BaseModel):
    conversation_id: ConversationId
    ticket: TicketNumber = Field(description="Vorgangsnummer, z. B. JE-2026-000123")
    score: Score = Field(description="1 = schlecht … 5 = sehr gut")


class RatingOut(BaseModel):
    ok: bool
