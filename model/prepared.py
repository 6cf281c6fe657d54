"""One comment's text facts, computed once and shared by the model's features and the service's rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from model.normalize import normalize_text
from model.signals import domain_of, links_in

FIELDS = ("comment", "name", "email", "url")


@dataclass(frozen=True)
class PreparedText:
    """What scoring (and the service's rules) need from one comment, computed once."""

    comment: str
    name: str
    email: str
    url: str
    normalized: str  # normalize_text(comment)
    normalized_name: str  # normalize_text(name)
    links: tuple[str, ...]  # links_in(comment), in order
    domains: tuple[str, ...]  # domain_of(link) for each link, empties dropped, in order


def prepare(fields: Mapping[str, str]) -> PreparedText:
    """Normalise a comment's text and find its links once; missing or None fields count as empty."""
    comment, name, email, url = (fields.get(key, "") or "" for key in FIELDS)
    links = tuple(links_in(comment))
    return PreparedText(
        comment=comment, name=name, email=email, url=url,
        normalized=normalize_text(comment), normalized_name=normalize_text(name),
        links=links, domains=tuple(domain for domain in map(domain_of, links) if domain),
    )


def as_prepared(item: PreparedText | Mapping[str, str]) -> PreparedText:
    """The item itself if it is already prepared, otherwise prepare(item)."""
    return item if isinstance(item, PreparedText) else prepare(item)
