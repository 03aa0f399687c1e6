"""Request and response bodies of the gateway's HTTP API (pydantic), shared by routes and console pages.

Three groups: the citizen chat (``/api/chat``), the bot's own processes (``/api/internal``) and staff
(``/api/staff``, ``/api/tickets``, ``/api/gaps``; the console renders the same view models). The class
names are the schema names in the OpenAPI document, so renaming one changes the published API.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, confloat, conint, constr

MAX_TEXT = 2000  # a citizen's chat message
MAX_REPLY = 4000  # a staff reply or note
CONVERSATION_ID = r"^[A-Za-z0-9_-]{8,64}$"

# Constrained types: pydantic validates them, mypy sees the plain type.
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
    StaffText = constr(strip_whitespace=True, min_length=1, max_length=MAX_REPLY)
    NewUsername = constr(strip_whitespace=True, min_length=1, max_length=64)
    NewPassword = constr(min_length=1, max_length=1000)
    SearchText = constr(max_length=200)
    QueueLimit = conint(ge=1, le=500)
    Threshold = confloat(ge=0, le=1)
    Days = conint(ge=1, le=3650)


# --- citizen chat ---------------------------------------------------------------------------


class ChatIn(BaseModel):
    conversation_id: ConversationId | None = Field(None, description="leer = neues Gespräch")
    text: ChatText
    client_id: ClientId | None = Field(
        None, description="Kennung der Nachricht beim Absender: Wiederholungen werden nur einmal gespeichert"
    )


class ChatMessage(BaseModel):
    id: int
    role: str
    text: str
    created_at: datetime
    buttons: list[dict[str, str]] = []
    custom: dict[str, Any] | None = None


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


class MessageOut(BaseModel):
    id: int
    role: str
    role_label: str
    text: str
    created_at: datetime
    undelivered: bool = Field(False, description="Antwort gespeichert, aber nicht zugestellt")


class NoteOut(BaseModel):
    id: int
    author: int
    author_name: str
    text: str
    created_at: datetime


class TicketDetail(BaseModel):
    ticket: TicketOut
    transcript: list[MessageOut]
    notes: list[NoteOut]


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


class StaffIn(BaseModel):
    username: NewUsername
    password: NewPassword
    role: str = Field("staff", regex="^(staff|admin)$")
