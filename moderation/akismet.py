"""What the Akismet protocol means in this service's terms, free of HTTP: WordPress's slashes, the blog's own
host, the verdict a decision or a status is sent as, rechecks and the statistics the plugin shows.

The WordPress plugin (Akismet 5.0.2, as Debian ships it) reads only `true` (spam) or `false` from
comment-check, so a hold is `false` plus the header X-moderation-decision: hold, which our connector
(integrations/wordpress) turns into a pending comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from moderation.policy import Action, Decision, ReasonCode, Status
from moderation.schemas import StoredComment
from moderation.store import comments as comments_repo
from moderation.store.db import utcnow
from moderation.store.tables import comments, labels

DECISION_HEADER = "X-moderation-decision"
# Reject reasons that a moderator set up or that only bots trigger: the plugin may discard such comments
# without a trace. A model's reject (or a duplicate) goes to WordPress's Spam folder instead, where a moderator
# can still rescue a false positive.
CERTAIN_REJECTS = frozenset({ReasonCode.TEST_VALUE, ReasonCode.HONEYPOT, ReasonCode.AUTHOR_BLOCKED,
                             ReasonCode.DOMAIN_BLOCKED, ReasonCode.WORD_BLOCK})
# WordPress slashes what it sends from its comment form (wp_magic_quotes); these fields come from that form.
SLASHED_FIELDS = ("comment_author", "comment_author_email", "comment_author_url", "comment_content")
# The hidden textarea of Akismet 5.1 and later, which only bots fill in (the plugin sends the form's fields
# with a POST_ prefix; 5.0.2 has no such field).
AKISMET_HONEYPOT = "POST_ak_hp_textarea"
# A recheck may come weeks after the comment ("Check for Spam" on an old pending queue).
RECHECK_DAYS = 365
# The plugin shows "time saved" only to free Akismet accounts; ours report it as this estimate of the seconds a
# moderator spends on one spam comment, times the spam caught.
SECONDS_PER_SPAM = 15
INTERVALS = {"60-days": timedelta(days=60), "6-months": timedelta(days=183)}
_SLASHED = re.compile(r"\\(.?)", re.DOTALL)


def stripslashes(text: str) -> str:
    """PHP's stripslashes: a backslash escapes the character after it (`\\'` is `'`, `\\\\` is `\\`)."""
    return _SLASHED.sub(lambda m: "\0" if m.group(1) == "0" else m.group(1), text)


def host_of(url: str) -> str:
    """The lower-cased host of a URL ("" when there is none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def same_site(url: str, blog_host: str) -> bool:
    """Whether url points at the blog itself (www. or not)."""
    host = host_of(url)
    return bool(host and blog_host) and host.removeprefix("www.") == blog_host.removeprefix("www.")


@dataclass(frozen=True)
class Verdict:
    """comment-check's answer: the body (`true` is spam) and the headers."""

    body: str
    headers: dict[str, str]


def decision_verdict(decision: Decision, guid: str) -> Verdict:
    """The answer for a comment just decided: reject is spam (discarded when certain); hold and accept are not
    spam, and the decision header tells our connector to hold the comment for a moderator."""
    headers = {"X-akismet-guid": guid, DECISION_HEADER: decision.decision.value}
    if decision.decision != Action.REJECT:
        return Verdict("false", headers)
    if any(r.code in CERTAIN_REJECTS and r.action == Action.REJECT and not r.shadow for r in decision.reasons):
        headers["X-akismet-pro-tip"] = "discard"
    return Verdict("true", headers)


def status_verdict(comment: StoredComment) -> Verdict:
    """The answer for a recheck: the comment's current status, moderators' and reports' changes included."""
    decision = {Status.ACCEPTED: Action.ACCEPT, Status.HELD: Action.HOLD, Status.REJECTED: Action.REJECT}
    action = decision[comment.status]
    headers = {"X-akismet-guid": comment.id, DECISION_HEADER: action.value}
    return Verdict("true" if action == Action.REJECT else "false", headers)


def find_checked(connection: Connection, guid: str, email: str, fingerprint: str) -> StoredComment | None:
    """The stored comment a recheck or a report is about: by the guid comment-check gave (when the client
    sends it back and it names a comment with this email), else by email and normalised text."""
    if guid:
        stored = comments_repo.get(connection, guid)
        if stored is not None and stored.email == email:
            return stored
    return comments_repo.find_by_fingerprint(connection, email, fingerprint, within_days=RECHECK_DAYS)


@dataclass(frozen=True)
class AkismetStats:
    """get-stats's numbers, in the shape the plugin's settings screen reads."""

    spam: int
    ham: int
    missed_spam: int
    false_positives: int
    accuracy: float
    time_saved: int


def stats(connection: Connection, interval: str) -> AkismetStats:
    """Comments checked over the interval (`60-days`, `6-months`, anything else is all): spam is what was
    answered `true` (rejected), missed spam what was answered `false` and later reported or reviewed as spam,
    false positives what was answered `true` and later reported or reviewed as not spam."""
    c, lab = comments.c, labels.c
    condition = c.created_at >= utcnow() - INTERVALS[interval] if interval in INTERVALS else True
    rejected = c.decision == Action.REJECT.value
    # The newest label of each comment is its moderators' and reporters' last word.
    newest = (select(lab.comment_id, func.max(lab.id).label("id")).where(lab.comment_id.is_not(None))
              .group_by(lab.comment_id).subquery())
    row = connection.execute(
        select(func.count().label("checked"),
               func.count().filter(rejected).label("spam"),
               func.count(lab.id).filter(and_(~rejected, lab.spam.is_(True))).label("missed"),
               func.count(lab.id).filter(and_(rejected, lab.spam.is_(False))).label("false_positives"))
        .select_from(comments.outerjoin(newest, newest.c.comment_id == c.id).outerjoin(labels, lab.id == newest.c.id))
        .where(condition)).one()
    checked, spam = int(row.checked), int(row.spam)
    errors = int(row.missed) + int(row.false_positives)
    accuracy = round(100 * (checked - errors) / checked, 2) if checked else 100.0
    return AkismetStats(spam=spam, ham=checked - spam, missed_spam=int(row.missed),
                        false_positives=int(row.false_positives), accuracy=accuracy,
                        time_saved=spam * SECONDS_PER_SPAM)
