"""The rules stage: moderator-controlled lists and settings that run alongside the model.

Every rule that fires adds a Reason with a stable code. A rule in shadow mode still records what it
would have done (the reason is marked shadow) but does not change the decision.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from model.normalize import fold_unicode, normalize_text
from model.signals import domain_of, links_in
from moderation.policy import ACCEPT, HOLD, REJECT, Reason

# code -> what the rule does when it fires (the flood rule may answer 429 instead of holding).
RULE_ACTIONS = {
    "honeypot": REJECT, "author_blocked": REJECT, "domain_blocked": REJECT, "word_block": REJECT,
    "duplicate": REJECT, "word_hold": HOLD, "too_many_links": HOLD, "first_post_link": HOLD,
    "near_duplicate_spam": HOLD, "flood": HOLD, "author_trusted": ACCEPT,
}
SHADOWABLE = (*RULE_ACTIONS, "model")
_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
LIST_KINDS = {
    "word": {"actions": ("block", "hold", "allow"), "matches": ("word", "substring")},
    "domain": {"actions": ("block", "allow"), "matches": ("domain",)},
    "author": {"actions": ("block", "trust"), "matches": ("email", "email_domain", "ip", "ip_range")},
}


@dataclass(frozen=True)
class RuleSettings:
    """Settings a moderator can change through /v1/rules/settings."""

    max_links: int = 2
    first_post_link_hold: bool = True
    trusted_after: int = 3
    trusted_leniency: float = 0.15
    duplicate_window_minutes: int = 60
    near_duplicate_similarity: float = 0.7
    near_duplicate_days: int = 7
    flood_per_minute: int = 5
    flood_action: str = "hold"
    honeypot_field: str = ""
    shadow: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {**asdict(self), "shadow": list(self.shadow)}


_SETTING_LIMITS = {
    "max_links": (int, 0, 100), "trusted_after": (int, 1, 10_000), "trusted_leniency": (float, 0.0, 0.5),
    "duplicate_window_minutes": (int, 0, 100_000), "near_duplicate_similarity": (float, 0.5, 1.0),
    "near_duplicate_days": (int, 0, 365), "flood_per_minute": (int, 1, 10_000),
}


def settings_errors(changes: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every problem with a settings update (empty if it can be applied)."""
    errors: dict[str, list[str]] = {}
    known = {f.name for f in fields(RuleSettings)}
    for key, value in changes.items():
        if key not in known:
            errors[key] = ["Unknown setting."]
        elif key in _SETTING_LIMITS:
            kind, low, high = _SETTING_LIMITS[key]
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if not numeric or (kind is int and not float(value).is_integer()) or not low <= value <= high:
                errors[key] = [f"Must be {'a whole number' if kind is int else 'a number'} from {low} to {high}."]
        elif key == "first_post_link_hold" and not isinstance(value, bool):
            errors[key] = ["Must be true or false."]
        elif key == "flood_action" and value not in ("hold", "429"):
            errors[key] = ['Must be "hold" or "429".']
        elif key == "honeypot_field" and (not isinstance(value, str) or len(value) > 100):
            errors[key] = ["Must be a field name of at most 100 characters (empty turns the honeypot off)."]
        elif key == "shadow" and (not isinstance(value, list) or not set(value) <= set(SHADOWABLE)):
            errors[key] = [f"Must be a list of rule codes from: {', '.join(SHADOWABLE)}."]
    return errors


def apply_settings(current: RuleSettings, changes: Mapping[str, Any]) -> RuleSettings:
    """current with validated changes applied."""
    values = {k: (tuple(v) if k == "shadow" else v) for k, v in changes.items()}
    for key, (kind, _, _) in _SETTING_LIMITS.items():
        if key in values:
            values[key] = kind(values[key])
    return replace(current, **values)


@dataclass(frozen=True)
class ListEntry:
    """One entry of a moderator-managed list."""

    id: int
    kind: str
    action: str
    value: str
    match: str
    note: str = ""


def entry_errors(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every problem with a new list entry (empty if it is valid)."""
    errors: dict[str, list[str]] = {}
    kind = data.get("kind")
    if kind not in LIST_KINDS:
        return {"kind": [f"Must be one of {', '.join(LIST_KINDS)}."]}
    spec = LIST_KINDS[kind]
    if data.get("action") not in spec["actions"]:
        errors["action"] = [f"Must be one of {', '.join(spec['actions'])} for {kind} entries."]
    match = data.get("match", spec["matches"][0])
    if match not in spec["matches"]:
        errors["match"] = [f"Must be one of {', '.join(spec['matches'])} for {kind} entries."]
    value = data.get("value")
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        errors["value"] = ["Must be a non-empty string of at most 500 characters."]
    elif match == "ip":
        try:
            ipaddress.ip_address(value.strip())
        except ValueError:
            errors["value"] = ["Must be an IPv4 or IPv6 address."]
    elif match == "ip_range":
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            errors["value"] = ["Must be a network in CIDR form, e.g. 203.0.113.0/24."]
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        errors["note"] = ["Must be a string of at most 500 characters."]
    return errors


def normalized_entry_value(kind: str, match: str, value: str) -> str:
    """How an entry's value is kept: lower case, domains without scheme or www., networks canonical."""
    value = value.strip()
    if match == "ip_range":
        return str(ipaddress.ip_network(value, strict=False))
    if match == "ip":
        return str(ipaddress.ip_address(value))
    if kind == "domain":
        return domain_of(value) or value.lower()
    if match == "email_domain":
        return value.lower().lstrip("@")
    return value.lower() if kind == "author" else value


def text_fingerprint(comment: str) -> str:
    """A hash of the normalised words: the same words, however cased, spaced, punctuated or obfuscated."""
    return hashlib.sha256(" ".join(_WORDS.findall(normalize_text(comment))).encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def _shingles(text: str) -> frozenset[str]:
    # Cached: every comment is compared with the same recent spam, whose shingles need computing once.
    # Spam campaigns vary amounts, phone numbers and links; digits and links are alike here.
    words = [_DIGITS.sub("0", w) for w in _WORDS.findall(normalize_text(text))]
    if len(words) < 3:
        return frozenset({" ".join(words)})
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 3-gram sets: 1 for the same text, near 0 for unrelated ones."""
    first, second = _shingles(a), _shingles(b)
    return len(first & second) / len(first | second) if first and second else 0.0


@dataclass
class History:
    """What the store knows about the commenter and recent comments, for the history rules."""

    accepted: int = 0
    held: int = 0
    rejected: int = 0
    duplicate_of: str | None = None
    recent_by_author: int = 0
    recent_spam: list[tuple[str, str]] = field(default_factory=list)  # (comment id, text)


@dataclass
class RuleOutcome:
    """What the rules found: reasons, whether thresholds relax for a trusted author, and the text the
    model should read (allowed phrases removed)."""

    reasons: list[Reason] = field(default_factory=list)
    lenient: float = 0.0
    model_text: str | None = None
    rate_limited: str = ""
    retry_after: int = 60
    forced: str | None = None


class CompiledRules:
    """Settings and list entries, compiled for matching."""

    def __init__(self, settings: RuleSettings, entries: Iterable[ListEntry]):
        self.settings = settings
        self.entries = list(entries)
        self.words = {action: [] for action in ("block", "hold", "allow")}
        self.domains: dict[str, set[str]] = {"block": set(), "allow": set()}
        self.authors: dict[str, list[ListEntry]] = {"block": [], "trust": []}
        for entry in self.entries:
            if entry.kind == "word":
                self.words[entry.action].append((entry, self._word_pattern(entry)))
            elif entry.kind == "domain":
                self.domains[entry.action].add(entry.value)
            else:
                self.authors[entry.action].append(entry)
        allowed = [re.escape(fold_unicode(e.value).lower()) for e, _ in self.words["allow"]]
        self.allowed_raw = re.compile(r"\b(?:" + "|".join(allowed) + r")\b", re.IGNORECASE) if allowed else None

    @staticmethod
    def _word_pattern(entry: ListEntry) -> re.Pattern:
        term = " ".join(normalize_text(entry.value).split())
        if entry.match == "substring":
            return re.compile(re.escape(term))
        return re.compile(r"(?<!\w)" + re.escape(term).replace(r"\ ", r"\s+") + r"(?!\w)")


def _domain_listed(domain: str, listed: set[str]) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def _author_matches(entry: ListEntry, email: str, ip: str) -> bool:
    if entry.match == "email":
        return email.lower() == entry.value
    if entry.match == "email_domain":
        domain = email.lower().rsplit("@", 1)[-1]
        return domain == entry.value or domain.endswith("." + entry.value)
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    if entry.match == "ip":
        return address == ipaddress.ip_address(entry.value)
    network = ipaddress.ip_network(entry.value)
    return address.version == network.version and address in network


def evaluate(rules: CompiledRules, comment, honeypot: str = "", history: History | None = None) -> RuleOutcome:
    """Run every rule over one validated comment. history is None when there is no store to ask
    (previews): the rules that need the commenter's past are then skipped."""
    settings, outcome = rules.settings, RuleOutcome()

    def fire(code: str, message: str, **details) -> None:
        outcome.reasons.append(Reason(code=code, message=message, action=RULE_ACTIONS[code],
                                      details={"rule": code, **details}, shadow=code in settings.shadow))

    if settings.honeypot_field and honeypot.strip():
        fire("honeypot", f"The hidden field {settings.honeypot_field!r} was filled in, as only bots do.")
    for entry in rules.authors["block"]:
        if _author_matches(entry, comment.email, comment.ip):
            fire("author_blocked", f"The author is blocked ({entry.match} {entry.value}).", entry_id=entry.id)
            break
    trusted_entry = next((e for e in rules.authors["trust"] if _author_matches(e, comment.email, comment.ip)), None)

    text_domains = [d for d in (domain_of(link) for link in links_in(comment.comment)) if d]
    domains = text_domains + ([domain_of(comment.url)] if comment.url else [])
    blocked = sorted({d for d in domains if _domain_listed(d, rules.domains["block"])})
    if blocked:
        fire("domain_blocked", f"Links to a blocked domain: {', '.join(blocked)}.", domains=blocked)
    # Links to allowlisted domains (the site itself, trusted sources) count for nothing.
    counted = [d for d in domains if d and not _domain_listed(d, rules.domains["allow"])]
    counted_in_text = [d for d in text_domains if not _domain_listed(d, rules.domains["allow"])]
    if len(counted_in_text) > settings.max_links:
        fire("too_many_links", f"{len(counted_in_text)} links (more than {settings.max_links}).",
             links=len(counted_in_text))

    normalized = " ".join(normalize_text(comment.comment).split())
    allowed_spans = [m.span() for _, pattern in rules.words["allow"] for m in pattern.finditer(normalized)]
    for action, code in (("block", "word_block"), ("hold", "word_hold")):
        terms = []
        for entry, pattern in rules.words[action]:
            for match in pattern.finditer(normalized):
                if not any(start <= match.start() and match.end() <= end for start, end in allowed_spans):
                    terms.append(entry.value)
                    break
        if terms:
            fire(code, f"Contains listed {'blocked' if action == 'block' else 'held'} words: {', '.join(terms)}.",
                 terms=terms)
    if rules.allowed_raw is not None:
        outcome.model_text = rules.allowed_raw.sub(" ", fold_unicode(comment.comment))

    if history is not None:
        trusted = history.accepted >= settings.trusted_after and history.rejected == 0
        if counted and history.accepted + history.held + history.rejected == 0 and \
                settings.first_post_link_hold and trusted_entry is None:
            fire("first_post_link", "A first comment from this author, and it carries a link.")
        if history.duplicate_of:
            fire("duplicate", "The same text from the same author was posted moments ago.",
                 duplicate_of=history.duplicate_of)
        for spam_id, text in history.recent_spam:
            score = similarity(comment.comment, text)
            if score >= settings.near_duplicate_similarity:
                fire("near_duplicate_spam", f"Nearly the same as spam rejected recently ({score:.0%} alike).",
                     similar_to=spam_id, similarity=round(score, 3), label="spam")
                break
        if history.recent_by_author >= settings.flood_per_minute:
            message = f"{history.recent_by_author + 1} comments in a minute from this commenter."
            fire("flood", message, per_minute=settings.flood_per_minute)
            if settings.flood_action == "429" and "flood" not in settings.shadow:
                outcome.rate_limited = message
        if trusted and trusted_entry is None:
            trusted_entry = ListEntry(id=0, kind="author", action="trust", value="history", match="history")
    if trusted_entry is not None:
        fire("author_trusted", "A trusted author: thresholds are relaxed by "
             f"{settings.trusted_leniency:.2f}.", via=trusted_entry.match)
        if "author_trusted" not in settings.shadow:
            outcome.lenient = settings.trusted_leniency
    return outcome


class Rules:
    """The rules in force, read from the store and cached for a few seconds per process."""

    def __init__(self, load, ttl: float = 2.0):
        self._load = load
        self.ttl = ttl
        self._compiled: CompiledRules | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> CompiledRules:
        """The compiled rules, reloaded when older than ttl."""
        with self._lock:
            if self._compiled is None or time.monotonic() - self._loaded_at >= self.ttl:
                settings, entries = self._load()
                self._compiled = CompiledRules(settings, entries)
                self._loaded_at = time.monotonic()
            return self._compiled

    def invalidate(self) -> None:
        """Forget the cache (after this process changed the rules)."""
        with self._lock:
            self._compiled = None
