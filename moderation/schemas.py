"""Every contract of the service, declared once.

Request bodies and query strings are pydantic models: they validate and normalise input, and the OpenAPI
document is generated from them. Response bodies are the domain's dataclasses (repositories return them), which
pydantic serialises and documents the same way. Nothing here knows about HTTP.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    StrictBool,
    ValidationInfo,
    model_validator,
)

from model.corpus import CATEGORIES
from model.signals import domain_of
from moderation.policy import Action, Label, Reason, Status
from moderation.validation import clean_text, is_control, settings_from

NAME_MAX = 100
URL_MAX = 2048
ID_MAX = 200
USER_AGENT_MAX = 1000
NOTE_MAX = 2000
ENTRY_VALUE_MAX = 500
MAX_BATCH_ITEMS = 1000


def isoformat(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with millisecond precision and a Z suffix (naive datetimes are UTC here)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(isoformat, return_type=str)]

Category = StrEnum("Category", {name.upper(): name for name in CATEGORIES})
Category.__doc__ = "The kind of toxicity: the category head splits the toxicity score into these."


class ReviewAction(StrEnum):
    """What a moderator does with a comment."""

    APPROVE = "approve"
    REJECT = "reject"

    @property
    def status(self) -> Status:
        """The status the comment moves to."""
        return Status.ACCEPTED if self is ReviewAction.APPROVE else Status.REJECTED


class QueueOrder(StrEnum):
    """How the review queue is sorted; uncertain puts the scores nearest a coin toss first."""

    NEWEST = "newest"
    OLDEST = "oldest"
    UNCERTAIN = "uncertain"


class JobStatus(StrEnum):
    """Where a background job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Provenance(StrEnum):
    """Who vouches for a label, highest precedence first: a moderator, a site's report, an import."""

    MODERATOR = "moderator"
    REPORT = "report"
    IMPORT = "import"


class LabelSource(StrEnum):
    """The channel a labelled example came through."""

    REVIEW = "review"
    FEEDBACK = "feedback"
    AKISMET = "akismet"
    PERSPECTIVE = "perspective"
    IMPORT = "import"

    @property
    def provenance(self) -> Provenance:
        """Who vouches for labels from this channel."""
        if self in (LabelSource.REVIEW, LabelSource.FEEDBACK):
            return Provenance.MODERATOR
        return Provenance.IMPORT if self is LabelSource.IMPORT else Provenance.REPORT


# Field validators. They raise ValueError with the sentence a client sees.

def _string_or_integer(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError("Must be a string.")


def _optional(value: Any) -> Any:
    return "" if value is None else _string_or_integer(value)


def _optional_string(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError("Must be a string.")
    return value or ""


def _unicode(value: str) -> str:
    # A lone surrogate ("\ud800") is valid JSON but not text: no database can store it.
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("Must be valid Unicode text (no lone surrogates).")
    return value


def _name(value: str) -> str:
    name = unicodedata.normalize("NFC", _unicode(value).strip())
    if any(is_control(ch) or ch in "\n\t" for ch in name):
        raise ValueError("Must not contain control characters.")
    if not 1 <= len(name) <= NAME_MAX:
        raise ValueError(f"Must be 1 to {NAME_MAX} characters after trimming.")
    return name


def _email(value: str, info: ValidationInfo) -> str:
    try:
        checked = validate_email(_unicode(value).strip(),
                                 check_deliverability=settings_from(info).check_deliverability)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return checked.normalized


def _comment(value: str, info: ValidationInfo) -> str:
    text = clean_text(value)
    limit = settings_from(info).max_comment_length
    if not 1 <= len(text) <= limit:
        raise ValueError(f"Must be 1 to {limit} characters after trimming.")
    return text


def _url(value: str) -> str:
    url = _unicode(value).strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or is_control(ch) for ch in url):
        raise ValueError("Must be an http or https URL.")
    if len(url) > URL_MAX:
        raise ValueError(f"Must be at most {URL_MAX} characters.")
    return url


def _identifier(value: str) -> str:
    value = _unicode(value).strip()
    if len(value) > ID_MAX or any(is_control(ch) or ch in "\n\t" for ch in value):
        raise ValueError(f"Must be at most {ID_MAX} printable characters.")
    return value


def _ip(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError("Must be an IPv4 or IPv6 address.") from None


def _user_agent(value: str) -> str:
    return "".join(ch for ch in value if not is_control(ch) and ch not in "\n\t")[:USER_AGENT_MAX]


def _note(value: str) -> str:
    value = clean_text(_unicode(value))
    if len(value) > NOTE_MAX:
        raise ValueError(f"Must be at most {NOTE_MAX} characters.")
    return value


Name = Annotated[str, BeforeValidator(_string_or_integer), AfterValidator(_name),
                 Field(description=f"The commenter's name: trimmed, NFC-normalised, 1-{NAME_MAX} characters, "
                                   "no control characters.", json_schema_extra={"maxLength": NAME_MAX})]
Email = Annotated[str, BeforeValidator(_string_or_integer), AfterValidator(_email),
                  Field(description="Checked and normalised by email-validator.",
                        json_schema_extra={"format": "email"})]
CommentText = Annotated[str, BeforeValidator(_string_or_integer), AfterValidator(_unicode), AfterValidator(_comment),
                        Field(description="Control characters other than newline and tab removed, trimmed, 1 to "
                                          "MODERATION_MAX_COMMENT_LENGTH (10,000) characters. HTML is text.")]
OptionalUrl = Annotated[str, BeforeValidator(_optional), AfterValidator(_url),
                        Field(default="", description="An http or https URL.", json_schema_extra={"format": "uri"})]
Identifier = Annotated[str, BeforeValidator(_optional), AfterValidator(_identifier),
                       Field(default="", description=f"A string or integer, up to {ID_MAX} printable characters.")]
IpAddress = Annotated[str, BeforeValidator(_optional), AfterValidator(_ip),
                      Field(default="", description="The commenter's IPv4 or IPv6 address as the site saw it.")]
UserAgent = Annotated[str, BeforeValidator(_optional), AfterValidator(_user_agent),
                      Field(default="", description=f"The commenter's browser, cut to {USER_AGENT_MAX} characters.")]
Note = Annotated[str, BeforeValidator(_optional_string), AfterValidator(_note),
                 Field(default="", description=f"Up to {NOTE_MAX} characters.")]


# Requests.

class CommentIn(BaseModel):
    """A comment as a site submits it. Unknown fields are kept aside (the honeypot rule reads one) but not stored."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    email: Email
    comment: CommentText
    url: OptionalUrl = ""
    article_url: OptionalUrl = ""
    article_id: Identifier = ""
    parent_id: Identifier = ""
    ip: IpAddress = ""
    user_agent: UserAgent = ""
    referrer: OptionalUrl = ""

    def form_fields(self) -> dict[str, str]:
        """The fields the classifier reads."""
        return {"comment": self.comment, "name": self.name, "email": self.email, "url": self.url}

    def stored_fields(self) -> dict[str, str]:
        """Every declared field, as stored."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def extra_field(self, name: str) -> str:
        """What an undeclared field of the submission held, as text ("" when absent)."""
        value = (self.model_extra or {}).get(name, "")
        return value if isinstance(value, str) else str(value)


def _blank_or(check):
    def optional(value: str, info: ValidationInfo) -> str:
        if not value.strip():
            return ""
        return check(value, info) if check is _email else check(value)
    return optional


class ImportedComment(BaseModel):
    """A comment from a site's history (`moderation import`), validated field by field like CommentIn; name and
    email may be missing, as they are for anonymous commenters and in public datasets."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    comment: CommentText
    name: Annotated[str, BeforeValidator(_optional), AfterValidator(_blank_or(_name))] = ""
    email: Annotated[str, BeforeValidator(_optional), AfterValidator(_blank_or(_email))] = ""
    url: OptionalUrl = ""
    article_url: OptionalUrl = ""
    ip: IpAddress = ""
    user_agent: UserAgent = ""

    def form_fields(self) -> dict[str, str]:
        """The fields the classifier reads."""
        return {"comment": self.comment, "name": self.name, "email": self.email, "url": self.url}


class Labels(BaseModel):
    """Ground truth for one comment: spam or not, toxic or not, and the kind of toxicity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spam: StrictBool
    toxic: StrictBool
    category: Category | None = Field(default=None, description="Only with toxic: true.")

    @model_validator(mode="after")
    def _category_needs_toxic(self) -> Labels:
        if self.category is not None and not self.toxic:
            raise ValueError("`category` applies only when `toxic` is true.")
        return self


class ReviewIn(BaseModel):
    """A moderator's decision on a stored comment, and the labels it teaches the model."""

    model_config = ConfigDict(frozen=True)

    action: ReviewAction
    labels: Labels
    note: Note = ""


class FeedbackIn(CommentIn):
    """A labelled example for a comment the service never stored."""

    labels: Labels


class AnalyzeIn(BaseModel):
    """Comments to score and decide without storing them; each item is validated on its own."""

    items: list[Any] = Field(min_length=1, max_length=MAX_BATCH_ITEMS,
                             description=f"1 to {MAX_BATCH_ITEMS} comment objects, each like CommentIn.")


class TrainIn(BaseModel):
    """Options of a training job."""

    activate: StrictBool = Field(default=False, description="Deploy the new version if it passes the promotion gate.")


class QueueQuery(BaseModel):
    """Filters, order and page of the review queue."""

    status: Status = Status.HELD
    label: Label | None = Field(default=None, description="Only comments this label flagged.")
    order: QueueOrder = QueueOrder.NEWEST
    article_id: str | None = Field(default=None, max_length=ID_MAX)
    email: str | None = Field(default=None, max_length=320)
    since: datetime | None = Field(default=None, description="ISO 8601; comments created at or after it.")
    until: datetime | None = Field(default=None, description="ISO 8601; comments created before it.")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500, description="The previous page's next_cursor.")


class AuditQuery(BaseModel):
    """Which audit events to list."""

    target: str | None = Field(default=None, max_length=64, description="A comment id, a model version or a job id.")
    limit: int = Field(default=100, ge=1, le=1000)


class StatsQuery(BaseModel):
    """The period of the stats."""

    days: int = Field(default=7, ge=1, le=365)


# The rules' configuration: the settings and the list entries a moderator manages.

ShadowCode = Literal[
    "honeypot", "author_blocked", "domain_blocked", "word_block", "duplicate", "word_hold", "too_many_links",
    "first_post_link", "near_duplicate_spam", "flood", "author_trusted", "unsupported_language", "profanity",
    "model"]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639-1 (or 639-3) code.")]


class RuleSettings(BaseModel):
    """Settings a moderator can change; a PATCH sends only the ones to change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_links: int = Field(default=2, ge=0, le=100, description="More links than this (allowlisted domains aside) "
                                                                "are held.")
    first_post_link_hold: StrictBool = Field(default=True, description="Hold an author's first comment if it links.")
    trusted_after: int = Field(default=3, ge=1, le=10_000, description="Accepted comments (none rejected) that "
                                                                       "make an author trusted.")
    trusted_leniency: float = Field(default=0.15, ge=0.0, le=0.5, description="How far thresholds rise for a "
                                                                               "trusted author.")
    duplicate_window_minutes: int = Field(default=60, ge=0, le=100_000)
    near_duplicate_similarity: float = Field(default=0.7, ge=0.5, le=1.0)
    near_duplicate_days: int = Field(default=7, ge=0, le=365)
    flood_per_minute: int = Field(default=5, ge=1, le=10_000)
    flood_action: Literal["hold", "429"] = "hold"
    honeypot_field: str = Field(default="", max_length=100, description="The hidden form field only bots fill in; "
                                                                        "empty turns the honeypot off.")
    shadow: tuple[ShadowCode, ...] = Field(default=(), description="Rule codes (or `model`) recorded but not obeyed.")
    profanity: Literal["hold", "allow", "reject"] = Field(
        default="hold", description="What happens to casual swearing that insults no one (found by the word lists "
                                    "and the category head): held for a moderator, allowed, or rejected.")
    languages: tuple[LanguageCode, ...] = Field(
        default=("en",), max_length=50, description="The languages the model was trained on; comments detected in "
                                                    "another are held (unsupported_language).")
    unsupported_language: Literal["hold", "score"] = Field(
        default="hold", description="hold: a comment in a language outside `languages` is held and the model's "
                                    "scores do not decide it; score: it is scored as if it were English.")
    # The model's thresholds, set by a moderator: null keeps the model manifest's. The MODERATION_*_AT variables,
    # an operator's pin, still win over these.
    spam_hold_at: float | None = Field(default=None, ge=0.0, le=1.0, description="Hold at this spam score.")
    spam_reject_at: float | None = Field(default=None, ge=0.0, le=1.0, description="Reject at this spam score.")
    toxicity_hold_at: float | None = Field(default=None, ge=0.0, le=1.0, description="Hold at this toxicity score.")
    toxicity_reject_at: float | None = Field(default=None, ge=0.0, le=1.0,
                                             description="Reject at this toxicity score.")

    @model_validator(mode="after")
    def _thresholds_in_pairs(self) -> RuleSettings:
        for label in ("spam", "toxicity"):
            hold, reject = getattr(self, f"{label}_hold_at"), getattr(self, f"{label}_reject_at")
            # Sent together, so that a change merged into the stored settings can never leave half a pair.
            sent = {f"{label}_hold_at", f"{label}_reject_at"} & self.model_fields_set
            if len(sent) == 1 or (hold is None) != (reject is None):
                raise ValueError(f"Set both {label}_hold_at and {label}_reject_at, or neither.")
            if hold is not None and hold > reject:
                raise ValueError(f"{label}_hold_at must not be above {label}_reject_at.")
        return self

    def thresholds(self) -> dict[str, dict[str, float]]:
        """The thresholds a moderator set, per label, in the shape of the configured overrides."""
        return {label: {"hold_at": getattr(self, f"{label}_hold_at"), "reject_at": getattr(self, f"{label}_reject_at")}
                for label in ("spam", "toxicity") if getattr(self, f"{label}_hold_at") is not None}


_NonBlank = Annotated[str, AfterValidator(_unicode), Field(min_length=1, max_length=ENTRY_VALUE_MAX)]
_EntryNote = Annotated[str, AfterValidator(_unicode), Field(default="", max_length=ENTRY_VALUE_MAX)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("Must not be blank.")
    return value.strip()


class WordEntryIn(BaseModel):
    """A word or phrase to block, hold, or allow (an allowed phrase is also hidden from the model)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["word"]
    action: Literal["block", "hold", "allow"]
    value: Annotated[_NonBlank, AfterValidator(_not_blank)]
    match: Literal["word", "substring"] = "word"
    note: _EntryNote = ""


class DomainEntryIn(BaseModel):
    """A domain (and its subdomains) to block, or to allow (its links then count for nothing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["domain"]
    action: Literal["block", "allow"]
    value: Annotated[_NonBlank, AfterValidator(lambda value: domain_of(_not_blank(value)) or value.strip().lower())]
    match: Literal["domain"] = "domain"
    note: _EntryNote = ""


def _author_value(value: str, info: ValidationInfo) -> str:
    match = info.data.get("match")
    value = _not_blank(value)
    if match == "ip":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("Must be an IPv4 or IPv6 address.") from None
    if match == "ip_range":
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ValueError("Must be a network in CIDR form, e.g. 203.0.113.0/24.") from None
    return value.lower().lstrip("@") if match == "email_domain" else value.lower()


class AuthorEntryIn(BaseModel):
    """An author to block or trust, by email, email domain, IP address or network."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["author"]
    action: Literal["block", "trust"]
    # match comes before value: the value is checked as what match says it is.
    match: Literal["email", "email_domain", "ip", "ip_range"] = "email"
    value: Annotated[_NonBlank, AfterValidator(_author_value)]
    note: _EntryNote = ""


class RuleEntryIn(RootModel[Annotated[WordEntryIn | DomainEntryIn | AuthorEntryIn, Field(discriminator="kind")]]):
    """A new list entry; `kind` says which list."""

    tagged_union: ClassVar[bool] = True


# Responses: what the repositories return and the API sends.

@dataclass(frozen=True)
class AuthorHistory:
    """How many of an author's comments stand accepted, held and rejected."""

    accepted: int = 0
    held: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class ReviewRecord:
    """A moderator's review as stored on the comment."""

    action: ReviewAction
    labels: Labels
    note: str
    by: str
    at: Timestamp
    previous_status: Status


@dataclass(frozen=True)
class StoredComment:
    """A stored comment: what was submitted, the decision it was given and where review has taken it since."""

    id: str
    name: str
    email: str
    comment: str
    url: str
    article_url: str
    article_id: str
    parent_id: str
    ip: str
    user_agent: str
    referrer: str
    decision: Action
    status: Status
    scores: dict[str, float]
    reasons: list[Reason]
    model_version: str
    review: ReviewRecord | None
    created_at: Timestamp
    updated_at: Timestamp
    # The detected language (ISO 639-1; "ary" for Darija in Latin letters); "" when too short to tell.
    language: str = ""


@dataclass(frozen=True)
class QueueItem(StoredComment):
    """A comment in the review queue, with its author's record."""

    author_history: AuthorHistory = field(default_factory=AuthorHistory)


@dataclass(frozen=True)
class QueuePage:
    """One page of the review queue."""

    items: list[QueueItem]
    next_cursor: str | None


@dataclass(frozen=True)
class CommentDecision:
    """The answer to a submitted comment: it is stored, and this is what was decided."""

    id: str
    decision: Action
    scores: dict[str, float]
    reasons: list[Reason]
    model_version: str
    created_at: Timestamp

    @classmethod
    def of(cls, stored: StoredComment) -> CommentDecision:
        """The answer for a stored comment."""
        return cls(stored.id, stored.decision, stored.scores, stored.reasons, stored.model_version, stored.created_at)


@dataclass(frozen=True)
class AnalyzeResult:
    """A decision for a comment that was not stored."""

    decision: Action
    scores: dict[str, float]
    reasons: list[Reason]
    model_version: str
    created_at: Timestamp


@dataclass(frozen=True)
class ItemErrors:
    """Why one analyze item could not be scored."""

    errors: dict[str, list[str]]


@dataclass(frozen=True)
class AnalyzeResults:
    """One result per analyze item, in order."""

    results: list[AnalyzeResult | ItemErrors]


@dataclass(frozen=True)
class LabelCreated:
    """A stored labelled example."""

    id: int
    labels: Labels


@dataclass(frozen=True)
class Report:
    """What a site's report says: each label it speaks to, None where it says nothing ("not spam" says nothing
    about toxicity)."""

    spam: bool | None = None
    toxic: bool | None = None
    category: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when."""

    id: int
    at: Timestamp
    actor: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditEvents:
    """The newest audit events first."""

    events: list[AuditEvent]


@dataclass(frozen=True)
class Job:
    """A background job (training, a webhook delivery) and how it ended."""

    id: str
    kind: str
    status: JobStatus
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_by: str
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    attempts: int = 0


@dataclass(frozen=True)
class JobAccepted:
    """A job that was queued."""

    job: Job


@dataclass(frozen=True)
class ModelVersion:
    """A stored model version: its manifest, and whether it is the active one."""

    version: str
    created_at: str
    libraries: dict[str, str]
    training_data: dict[str, Any]
    metrics: dict[str, Any]
    thresholds: dict[str, Any]
    sources: dict[str, int] | None
    gate: dict[str, Any] | None
    active: bool


@dataclass(frozen=True)
class ModelVersions:
    """Every stored version, newest first; which one is active and which this process serves."""

    active_version: str | None
    serving_version: str | None
    versions: list[ModelVersion]


@dataclass(frozen=True)
class Activation:
    """The version that serves from now on, and the one it replaced."""

    active_version: str
    previous_version: str | None


@dataclass(frozen=True)
class RuleEntry:
    """One entry of a moderator-managed list."""

    id: int
    kind: Literal["word", "domain", "author"]
    action: Literal["block", "hold", "allow", "trust"]
    match: Literal["word", "substring", "domain", "email", "email_domain", "ip", "ip_range"]
    value: str
    note: str
    created_by: str
    created_at: Timestamp


@dataclass(frozen=True)
class RuleConfig:
    """The rule settings and every list entry."""

    settings: RuleSettings
    entries: list[RuleEntry]


@dataclass(frozen=True)
class SettingsChanged:
    """The rule settings after a change."""

    settings: RuleSettings


@dataclass(frozen=True)
class Stats:
    """Decisions and reason codes over a period; reasons are counted as "code:action"."""

    days: int
    comments: int
    decisions: dict[Action, int]
    reasons: dict[str, int]
    shadow_reasons: dict[str, int]


@dataclass(frozen=True)
class DailyStats:
    """Counts per UTC day: decisions by decision, reasons by code (live and shadow), each {day: count}."""

    days: list[str]
    decisions: dict[str, dict[str, int]]
    reasons: dict[str, dict[str, int]]
    shadow_reasons: dict[str, dict[str, int]]


@dataclass(frozen=True)
class KeyInfo:
    """An API key as `moderation keys list` shows it: never its secret."""

    id: str
    role: Literal["site", "moderator"]
    name: str
    akismet_only: bool
    created_at: Timestamp
    created_by: str
    revoked_at: Timestamp | None


@dataclass(frozen=True)
class Health:
    """The process is alive."""

    status: Literal["ok"]


@dataclass(frozen=True)
class Ready:
    """The service can decide: a model is loaded and the database answers."""

    status: Literal["ready"]
    model_version: str

