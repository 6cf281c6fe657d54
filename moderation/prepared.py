"""A validated comment with everything the rules, the model and the store read from its text, computed once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from model import PreparedText, prepare
from moderation.language import detect
from moderation.schemas import CommentIn

_WORDS = re.compile(r"\w+")


def fingerprint(normalized: str) -> str:
    """A hash of the normalised words: the same words, however cased, spaced, punctuated or obfuscated."""
    return hashlib.sha256(" ".join(_WORDS.findall(normalized)).encode()).hexdigest()


@dataclass(frozen=True)
class PreparedComment:
    """One comment on its one pass: the validated fields, the text facts (normalised text, links, domains) and
    the fingerprint that finds its duplicates."""

    comment: CommentIn
    text: PreparedText
    fingerprint: str
    language: str = ""  # moderation.language.detect(comment), "" when too short to tell

    @classmethod
    def of(cls, comment: CommentIn) -> PreparedComment:
        """Prepare a validated comment."""
        text = prepare(comment.form_fields())
        return cls(comment=comment, text=text, fingerprint=fingerprint(text.normalized),
                   language=detect(comment.comment))
