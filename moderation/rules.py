"""The rules stage: moderator-controlled lists and settings that run alongside the model.

Every rule that fires adds a Reason with a stable code. A rule in shadow mode still records what it
would have done (the reason is marked shadow) but does not change the decision.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from model.normalize import fold_unicode, normalize_text
from model.signals import domain_of
from moderation.policy import Action, Label, Reason, ReasonCode
from moderation.prepared import PreparedComment
from moderation.schemas import RuleEntry, RuleSettings

# code -> what the rule does when it fires (the flood rule may answer 429 instead of holding).
RULE_ACTIONS = {
    ReasonCode.HONEYPOT: Action.REJECT, ReasonCode.AUTHOR_BLOCKED: Action.REJECT,
    ReasonCode.DOMAIN_BLOCKED: Action.REJECT, ReasonCode.WORD_BLOCK: Action.REJECT,
    ReasonCode.DUPLICATE: Action.REJECT, ReasonCode.WORD_HOLD: Action.HOLD, ReasonCode.TOO_MANY_LINKS: Action.HOLD,
    ReasonCode.FIRST_POST_LINK: Action.HOLD, ReasonCode.NEAR_DUPLICATE_SPAM: Action.HOLD,
    ReasonCode.FLOOD: Action.HOLD, ReasonCode.AUTHOR_TRUSTED: Action.ACCEPT,
    ReasonCode.UNSUPPORTED_LANGUAGE: Action.HOLD,
}
_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


class RateLimited(Exception):
    """The commenter posts faster than the flood rule allows, and the rule answers 429."""

    def __init__(self, retry_after: int, message: str):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class History:
    """The commenter's record and recent activity, for the history rules."""

    accepted: int = 0
    held: int = 0
    rejected: int = 0
    duplicate_of: str | None = None
    recent_by_author: int = 0


@dataclass(frozen=True)
class RecentSpam:
    """A comment rejected as spam recently, which new comments from other authors are compared with."""

    id: str
    email: str
    comment: str


@dataclass
class RuleOutcome:
    """What the rules found: reasons, whether thresholds relax for a trusted author, and the text the
    model should read when allowed phrases hide some words from it."""

    reasons: list[Reason] = field(default_factory=list)
    lenient: float = 0.0
    model_text: str | None = None
    # The comment is in a language the model was not trained on: its scores must not decide it.
    unsupported_language: bool = False


class CompiledRules:
    """One snapshot of the rules: settings, list entries compiled for matching, and recent spam."""

    def __init__(self, settings: RuleSettings, entries: Iterable[RuleEntry], recent_spam: Iterable[RecentSpam] = ()):
        self.settings = settings
        self.entries = list(entries)
        self.recent_spam = list(recent_spam)
        self.words: dict[str, list[tuple[RuleEntry, re.Pattern]]] = {"block": [], "hold": [], "allow": []}
        self.domains: dict[str, set[str]] = {"block": set(), "allow": set()}
        self.authors: dict[str, list[RuleEntry]] = {"block": [], "trust": []}
        for entry in self.entries:
            if entry.kind == "word":
                self.words[entry.action].append((entry, _word_pattern(entry)))
            elif entry.kind == "domain":
                self.domains[entry.action].add(entry.value)
            else:
                self.authors[entry.action].append(entry)
        allowed = [re.escape(fold_unicode(e.value).lower()) for e, _ in self.words["allow"]]
        self.allowed_raw = re.compile(r"\b(?:" + "|".join(allowed) + r")\b", re.IGNORECASE) if allowed else None

    def shadowed(self, code: str) -> bool:
        """Whether a rule (or "model") runs in shadow mode."""
        return code in self.settings.shadow


def _word_pattern(entry: RuleEntry) -> re.Pattern:
    # Listed words are normalised as comments are, so that "trump's" or "1d10t" match what the model reads.
    term = " ".join(normalize_text(entry.value).split())
    if entry.match == "substring":
        return re.compile(re.escape(term))
    return re.compile(r"(?<!\w)" + re.escape(term).replace(r"\ ", r"\s+") + r"(?!\w)")


def _domain_listed(domain: str, listed: set[str]) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def _author_matches(entry: RuleEntry, email: str, ip: str) -> bool:
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


def shingles(normalized: str) -> frozenset[str]:
    """The word 3-grams of a normalised text; spam campaigns vary amounts, phone numbers and links, so digits
    are alike here (and links are one token already)."""
    words = [_DIGITS.sub("0", w) for w in _WORDS.findall(normalized)]
    if len(words) < 3:
        return frozenset({" ".join(words)})
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))


@functools.lru_cache(maxsize=4096)
def _spam_shingles(text: str) -> frozenset[str]:
    # Cached: every comment is compared with the same recent spam, whose shingles need computing once.
    return shingles(normalize_text(text))


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard similarity of two shingle sets: 1 for the same text, near 0 for unrelated ones."""
    return len(first & second) / len(first | second) if first and second else 0.0


def evaluate(rules: CompiledRules, prepared: PreparedComment, history: History | None = None,
             site_domains: frozenset[str] = frozenset()) -> RuleOutcome:
    """Run every rule over one prepared comment. history is None when the store is not asked (previews):
    the rules that need the commenter's past are then skipped. site_domains are the commenting site's own
    domains, allowed like allowlisted ones. Raises RateLimited when the flood rule answers 429."""
    settings, outcome, comment = rules.settings, RuleOutcome(), prepared.comment

    def fire(code: ReasonCode, message: str, **details) -> None:
        outcome.reasons.append(Reason(code=code, message=message, action=RULE_ACTIONS[code], rule=code,
                                      shadow=rules.shadowed(code), **details))

    if settings.honeypot_field and comment.extra_field(settings.honeypot_field).strip():
        fire(ReasonCode.HONEYPOT, f"The hidden field {settings.honeypot_field!r} was filled in, as only bots do.")
    for entry in rules.authors["block"]:
        if _author_matches(entry, comment.email, comment.ip):
            fire(ReasonCode.AUTHOR_BLOCKED, f"The author is blocked ({entry.match} {entry.value}).",
                 entry_id=entry.id)
            break
    trusted_via = next((e.match for e in rules.authors["trust"] if _author_matches(e, comment.email, comment.ip)),
                       None)

    text_domains = list(prepared.text.domains)
    domains = text_domains + ([d] if comment.url and (d := domain_of(comment.url)) else [])
    blocked = sorted({d for d in domains if _domain_listed(d, rules.domains["block"])})
    if blocked:
        fire(ReasonCode.DOMAIN_BLOCKED, f"Links to a blocked domain: {', '.join(blocked)}.", domains=blocked)
    # Links to allowlisted domains (the site itself, trusted sources) count for nothing.
    allowed_domains = rules.domains["allow"] | site_domains
    counted = [d for d in domains if not _domain_listed(d, allowed_domains)]
    counted_in_text = [d for d in text_domains if not _domain_listed(d, allowed_domains)]
    if len(counted_in_text) > settings.max_links:
        fire(ReasonCode.TOO_MANY_LINKS, f"{len(counted_in_text)} links (more than {settings.max_links}).",
             links=len(counted_in_text))

    language = prepared.language
    if language and language not in settings.languages and settings.unsupported_language == "hold":
        fire(ReasonCode.UNSUPPORTED_LANGUAGE,
             f"Written in {language}, which the model was not trained on ({', '.join(settings.languages)}): held "
             "for a moderator instead of being scored as if it were English.", language=language)
        outcome.unsupported_language = not rules.shadowed(ReasonCode.UNSUPPORTED_LANGUAGE)
    _word_rules(rules, prepared, fire)
    if rules.allowed_raw is not None:
        hidden, count = rules.allowed_raw.subn(" ", fold_unicode(comment.comment))
        outcome.model_text = hidden if count else None

    if history is not None:
        trusted = history.accepted >= settings.trusted_after and history.rejected == 0
        if counted and history.accepted + history.held + history.rejected == 0 and \
                settings.first_post_link_hold and trusted_via is None:
            fire(ReasonCode.FIRST_POST_LINK, "A first comment from this author, and it carries a link.")
        if history.duplicate_of:
            fire(ReasonCode.DUPLICATE, "The same text from the same author was posted moments ago.",
                 duplicate_of=history.duplicate_of)
        own = shingles(prepared.text.normalized) if rules.recent_spam else frozenset()
        for spam in rules.recent_spam:
            if spam.email == comment.email:
                continue
            score = similarity(own, _spam_shingles(spam.comment))
            if score >= settings.near_duplicate_similarity:
                fire(ReasonCode.NEAR_DUPLICATE_SPAM, f"Nearly the same as spam rejected recently ({score:.0%} alike).",
                     similar_to=spam.id, similarity=round(score, 3), label=Label.SPAM)
                break
        if history.recent_by_author >= settings.flood_per_minute:
            message = f"{history.recent_by_author + 1} comments in a minute from this commenter."
            fire(ReasonCode.FLOOD, message, per_minute=settings.flood_per_minute)
            if settings.flood_action == "429" and not rules.shadowed(ReasonCode.FLOOD):
                raise RateLimited(60, message)
        if trusted and trusted_via is None:
            trusted_via = "history"
    if trusted_via is not None:
        fire(ReasonCode.AUTHOR_TRUSTED, f"A trusted author: thresholds are relaxed by {settings.trusted_leniency:.2f}.",
             via=trusted_via)
        if not rules.shadowed(ReasonCode.AUTHOR_TRUSTED):
            outcome.lenient = settings.trusted_leniency
    return outcome


def _word_rules(rules: CompiledRules, prepared: PreparedComment, fire: Callable[..., None]) -> None:
    normalized = " ".join(prepared.text.normalized.split())
    allowed_spans = [m.span() for _, pattern in rules.words["allow"] for m in pattern.finditer(normalized)]
    for action, code in (("block", ReasonCode.WORD_BLOCK), ("hold", ReasonCode.WORD_HOLD)):
        terms = []
        for entry, pattern in rules.words[action]:
            for match in pattern.finditer(normalized):
                if not any(start <= match.start() and match.end() <= end for start, end in allowed_spans):
                    terms.append(entry.value)
                    break
        if terms:
            fire(code, f"Contains listed {'blocked' if action == 'block' else 'held'} words: {', '.join(terms)}.",
                 terms=terms)


class RulesCache:
    """The rules in force, read from the store and kept for a few seconds per process.

    A request takes one snapshot (current()) and uses it from start to end, so a reload in between can
    never mix two versions of the rules.
    """

    def __init__(self, load: Callable[[], CompiledRules], ttl: float = 2.0):
        self._load = load
        self.ttl = ttl
        self._compiled: CompiledRules | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> CompiledRules:
        """The snapshot in force, reloaded when older than ttl."""
        with self._lock:
            if self._compiled is None or time.monotonic() - self._loaded_at >= self.ttl:
                self._compiled = self._load()
                self._loaded_at = time.monotonic()
            return self._compiled

    def invalidate(self) -> None:
        """Forget the snapshot (after this process changed the rules)."""
        with self._lock:
            self._compiled = None
