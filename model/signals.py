"""Metadata signals about a comment and its author fields, beyond the words themselves.

A change here changes what trained models compute: bump model.features.FEATURES_VERSION with it.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import string
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from model.prepared import PreparedText

_TLDS = ("com|net|org|info|biz|xyz|top|ru|io|co|online|site|shop|store|club|live|me|us|uk|in|cn|tk|ly|gl|link"
         "|click|app|pro|vip|win|bet|casino|loan|cc")
_SCHEME_LINK = r"(?:https?://|www\.)[^\s<>\"']"  # the start of a scheme or "www." link
# Every pattern here runs in linear time on any text: a comment is attacker-controlled, and one that makes a
# pattern retry a long run of characters from each of its positions holds a worker for seconds.
#
# A link is a scheme or "www." followed by anything but spaces and quotes, or dotted labels ending in a known
# top-level domain ("cheap-pills.xyz"). Searching for the second form from every position of a long run of labels
# such as "a.a.a.a..." is quadratic, so a third alternative, which is not a link (no "link" group), consumes the
# rest of a dotted or dashed run once the link form has failed at its start: every later start in the same run
# would reach the same ends and fail too. It stops where a scheme or "www." link starts, so that those are still
# found mid-run. Labels are possessive: a label followed by a dot is always the whole label.
_LINK_OR_RUN = re.compile(
    rf"(?P<link>{_SCHEME_LINK}[^\s<>\"']*"
    rf"|\b(?:[a-z0-9-]++\.)+(?:{_TLDS})\b(?:/\S*)?)"
    rf"|\b(?=[a-z0-9]*+(?:-|\.[a-z0-9-]))(?:(?!{_SCHEME_LINK})[a-z0-9-])++(?:\.(?:(?!{_SCHEME_LINK})[a-z0-9-])++)*+",
    re.IGNORECASE,
)
# What every link holds: a text without any has none (one fast search instead of the link pattern's).
_LINK_MARK = re.compile(rf"://|www\.|\.(?:{_TLDS})\b", re.IGNORECASE)
# Bounded repetitions: a constant amount of work from each position.
_PHONE = re.compile(r"(?:\+|\b)(?:\d[\s().-]{0,2}){9,14}\d\b")
# An amount, or (no "money" group) the rest of a number run such as "1,1,1,1..." once the amount form has failed
# at its start, for the same reason as links: every later start in the run would fail the same way.
_MONEY_OR_NUMBER = re.compile(
    r"(?P<money>[$€£₹]\s?\d[\d,.]*\s?[kKmM]?|\b\d[\d,.]*+\s?(?:usd|dollars|euros?|pounds|bucks|btc|k\b))"
    r"|\b(?=\d*+[,.]++\d)\d[\d,.]*+",
    re.IGNORECASE,
)
_REPEATED_CHAR = re.compile(r"(.)\1{2,}")
# North American toll-free prefixes, the number fake support lines give: "1-800-...", "(888) ...", "+1 877 ...".
_TOLL_FREE = re.compile(r"^(?:1)?8(?:00|33|44|55|66|77|88)")
_NOT_DIGIT = re.compile(r"\D+")
# Fake support and booking spam names a brand and then the service it pretends to be. Each alternative is a
# fixed sequence of words (separated by bounded runs of spaces or dashes), so the search is linear.
_SUPPORT_PHRASE = re.compile(
    r"\b(?:customer|tech(?:nical)?|technical|help|client)[ -]{1,3}(?:service|support|care|desk|line)s?"
    r"(?:[ -]{1,3}(?:phone|contact|toll[ -]{1,3}free|helpline))?(?:[ -]{1,3}(?:number|no|#))?"
    r"|\b(?:support|helpline|hotline|contact|booking|reservations?|phone|toll[ -]{1,3}free)[ -]{1,3}(?:phone[ -]{1,3})?"
    r"(?:number|no|#)s?\b"
    r"|\btoll[ -]{1,3}free\b",
    re.IGNORECASE,
)
# Runs of non-breaking spaces (as characters or as the HTML entity): padding that lays a spam out in blocks.
_NBSP_RUN = re.compile(r"(?:\u00a0|&nbsp;|&#160;|&#xa0;){2,}", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"\n\s*\n|\n")
_PHRASE_WORD = re.compile(r"[^\W\d_]{2,}")
# Words a keyword phrase is made of but that repeat in any long comment.
_GLUE_WORDS = frozenset({"the", "and", "for", "you", "your", "our", "are", "was", "with", "this", "that", "in", "of",
                         "to", "a", "is", "it", "on", "at", "we", "i", "me", "my", "be", "or", "an", "as", "by",
                         "not", "have", "has", "they", "their", "he", "she", "his", "her", "it's", "its", "from"})
# Generic words that show a name field is a search phrase, not a person ("plumber in casablanca",
# "essay writing service uk", "best tour packages").
_SERVICE_WORDS = frozenset(
    {"service", "services", "help", "writing", "essay", "essays", "assignment", "homework", "tour", "tours",
     "travel", "packages", "package", "holiday", "holidays", "booking", "tickets", "flights", "hotel", "hotels",
     "rent", "rental", "apartment", "apartments", "villa", "property", "properties", "course", "courses",
     "training", "certification", "classes", "institute", "academy", "plumber", "plumbing", "cleaning",
     "movers", "packers", "repair", "clinic", "dentist", "dental", "treatment", "surgery", "doctor", "support",
     "customer", "number", "phone", "airline", "airlines", "contractors", "contractor", "installation",
     "cheap", "best", "top", "online", "buy", "near", "price", "cost", "agency", "company", "consultant",
     "solutions", "software", "app", "development", "design", "web", "seo", "marketing", "digital", "shop",
     "store", "sale", "deals", "loan", "loans", "insurance", "casino", "escort", "escorts", "call", "girls"}
)
_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_UPPERCASE = string.ascii_uppercase.encode()
_ASCII_DIGITS = string.digits.encode()
_WORD = re.compile(r"[^\W\d_]+")

FREE_MAIL = frozenset(
    {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "proton.me",
     "protonmail.com", "gmx.de", "gmx.net", "web.de", "live.com", "msn.com", "yandex.ru", "mail.ru",
     "yahoo.co.uk", "btinternet.com", "orange.fr", "free.fr", "libero.it", "qq.com", "163.com"}
)
COMMON_TLDS = frozenset({"com", "org", "net", "edu", "gov", "uk", "de", "fr", "ca", "au", "ie", "nz", "it",
                         "es", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "pl", "in", "jp", "br", "mx"})
_COMMERCIAL_WORDS = frozenset(
    {"best", "cheap", "buy", "online", "free", "loan", "loans", "casino", "bet", "crypto", "bitcoin", "seo",
     "services", "service", "agency", "insurance", "deals", "discount", "shop", "store", "pills", "sale",
     "near", "me", "top", "official", "support", "expert", "recovery", "hack", "hacker", "forex", "trading",
     "investment", "marketing", "followers", "likes", "dating", "escort", "escorts", "viagra", "cbd", "vpn",
     "repair", "rental", "lawyer", "attorney", "company", "solutions", "review", "reviews", "2024",
     "2025", "2026", "quotes", "price", "prices", "download", "porn", "sex", "pharmacy"}
)


def domain_of(url: str) -> str:
    """The lower-case host of a link, with a leading www. removed; empty if there is none."""
    candidate = url if "://" in url else f"http://{url}"
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def links_in(text: str) -> list[str]:
    """Every link-like string in a text, bare domains included."""
    if not _LINK_MARK.search(text):
        return []
    return [match.group() for match in _LINK_OR_RUN.finditer(text) if match.lastgroup]


def replace_links(text: str, replacement: str) -> str:
    """The text with every link that links_in finds replaced."""
    if not _LINK_MARK.search(text):
        return text
    return _LINK_OR_RUN.sub(lambda match: replacement if match.lastgroup else match.group(), text)


def _count(pattern: re.Pattern, text: str, cap: int) -> int:
    """How many matches with a named group (not skipped runs) the pattern finds, counting up to cap."""
    found = 0
    for match in pattern.finditer(text):
        if match.lastgroup:
            found += 1
            if found == cap:
                break
    return found


@functools.lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    """The script a letter belongs to, as the first word of its Unicode name ("LATIN", "CYRILLIC")."""
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _mixes_scripts(word: str) -> bool:
    scripts = set()
    for ch in word:
        if ch.isalpha():
            scripts.add(_script(ch))
            if len(scripts) > 1:
                return True
    return False


def _has_mixed_script_word(text: str) -> bool:
    if text.isascii():
        return False
    return any(_mixes_scripts(word) for word in _WORD.findall(text) if not word.isascii())


def _name_looks_commercial(name: str) -> bool:
    words = [w.lower() for w in re.findall(r"[\w']+", name)]
    commercial = sum(w in _COMMERCIAL_WORDS for w in words)
    return commercial >= 1 and (len(words) >= 3 or commercial >= 2)


def _name_is_keyword_phrase(name: str) -> bool:
    """Whether the name field is a search phrase ("plumber in casablanca", "Essay Writing Service UK") rather
    than a person's name or handle."""
    words = [w.lower() for w in _PHRASE_WORD.findall(name)]
    if len(words) < 2:
        return False
    service = sum(w in _SERVICE_WORDS for w in words)
    # "in"/"near" a place, or several words of a trade: people's names have neither.
    return service >= 2 or (service >= 1 and (len(words) >= 3 or "in" in words or "near" in words))


def _repeated_phrase_share(comment: str) -> float:
    """The share of a comment's words that belong to a two-word phrase it says at least three times: the
    keyword stuffing of support and SEO spam ("airline customer service ... airline customer service ...")."""
    words = [w.lower() for w in _PHRASE_WORD.findall(comment)]
    if len(words) < 8:
        return 0.0
    counts: dict[tuple[str, str], int] = {}
    for pair in itertools.pairwise(words):
        if pair[0] not in _GLUE_WORDS or pair[1] not in _GLUE_WORDS:
            counts[pair] = counts.get(pair, 0) + 1
    covered = [False] * len(words)
    for i, pair in enumerate(itertools.pairwise(words)):
        if counts.get(pair, 0) >= 3:
            covered[i] = covered[i + 1] = True
    return sum(covered) / len(words)


def _phones(comment: str) -> list[str]:
    """The digits of each phone-number shape in a comment."""
    return [_NOT_DIGIT.sub("", match) for match in _PHONE.findall(comment)]


def spam_form_signals(comment: str, name: str, n_digits: int | None) -> dict[str, float]:
    """Signals of the shapes blog and news-site spam takes, whatever its wording: phone numbers repeated and
    toll-free, "<brand> customer service number" phrases, keyword phrases repeated, a keyword phrase as the
    name, padding with non-breaking spaces, short paragraphs, and comments of a word or two."""
    signals: dict[str, float] = {}
    if n_digits is None or n_digits >= 10:
        phones = _phones(comment)
        if phones:
            repeats = len(phones) - len(set(phones))
            if repeats:
                signals["phone_repeated"] = min(repeats, 3) / 3
            if any(_TOLL_FREE.match(p) for p in phones):
                signals["phone_toll_free"] = 1.0
    support = _count_plain(_SUPPORT_PHRASE, comment, 6)
    if support:
        signals["support_phrases"] = support / 6
    share = _repeated_phrase_share(comment)
    if share:
        signals["keyword_phrase_share"] = share
    if _name_is_keyword_phrase(name):
        signals["name_keyword_phrase"] = 1.0
    if "\u00a0" in comment or "&" in comment:
        runs = sum(1 for _ in zip(range(5), _NBSP_RUN.finditer(comment), strict=False))
        if runs:
            signals["nbsp_runs"] = runs / 5
    if "\n" in comment:
        lines = [line for line in _LINE_BREAKS.split(comment) if line.strip()]
        if len(lines) >= 3 and sum(map(len, lines)) / len(lines) < 120:
            signals["short_paragraphs"] = min(len(lines), 6) / 6
    if len(_PHRASE_WORD.findall(comment)) <= 2:
        signals["near_empty"] = 1.0
    return signals


def _count_plain(pattern: re.Pattern, text: str, cap: int) -> int:
    """How many matches the pattern finds, counting up to cap."""
    return sum(1 for _ in zip(range(cap), pattern.finditer(text), strict=False))


def _tld(domain: str) -> str:
    return domain.rsplit(".", 1)[-1] if "." in domain else ""


def extract_signals(text: PreparedText) -> dict[str, float]:
    """Numeric and categorical signals for one prepared comment (model.prepare), as a sparse feature dict."""
    comment, name, url = text.comment, text.name, text.url
    email = text.email.lower()
    links = text.links
    domains = set(text.domains)
    if comment.isascii():  # counted by bytes.translate, several times faster than a loop over characters
        raw = comment.encode()
        n_letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        n_upper = len(raw) - len(raw.translate(None, _ASCII_UPPERCASE))
        n_digits = len(raw) - len(raw.translate(None, _ASCII_DIGITS))
    else:
        # map() keeps the per-character calls in C; only letters are upper case, so no filter is needed.
        n_letters, n_upper = sum(map(str.isalpha, comment)), sum(map(str.isupper, comment))
        n_digits = None  # \d also matches other scripts' digits: run the patterns
    upper_ratio = n_upper / n_letters if n_letters else 0.0
    email_domain = email.rsplit("@", 1)[-1] if "@" in email else ""

    signals: dict[str, float] = {
        "links": math.log1p(len(links)),
        "distinct_domains": math.log1p(len(domains)),
        "length": math.log1p(len(comment)) / 10,
        "uppercase_ratio": upper_ratio if n_letters >= 8 else 0.0,
        "repeated_chars": min(len(_REPEATED_CHAR.findall(comment)), 5) / 5,
        # A phone number has at least ten digits, an amount at least one.
        "phone_numbers": min(len(_PHONE.findall(comment)), 3) / 3 if n_digits is None or n_digits >= 10 else 0.0,
        "money_amounts": _count(_MONEY_OR_NUMBER, comment, 3) / 3 if n_digits is None or n_digits else 0.0,
        "exclamations": min(comment.count("!"), 10) / 10,
    }
    signals.update(spam_form_signals(comment, name, n_digits))
    # An SEO anchor: the keyword phrase of the name field repeated in the comment ("... plumber in casablanca").
    if text.normalized_name.count(" ") >= 1 and f" {text.normalized_name.strip()} " in f" {text.normalized} ":
        signals["name_in_comment"] = 1.0
    if _has_mixed_script_word(comment) or _has_mixed_script_word(name):
        signals["mixed_scripts"] = 1.0
    if "@" in name or links_in(name):
        signals["name_has_link"] = 1.0
    if _name_looks_commercial(name):
        signals["name_looks_like_keywords"] = 1.0
    if url.strip():
        signals["url_given"] = 1.0
        url_tld = _tld(domain_of(url.strip()))
        signals["url_tld_uncommon"] = float(url_tld not in COMMON_TLDS)
    for domain in domains:
        if _tld(domain) not in COMMON_TLDS:
            signals["link_tld_uncommon"] = 1.0
    if email_domain:
        signals["email_free_mail"] = float(email_domain in FREE_MAIL)
        signals["email_tld_uncommon"] = float(_tld(email_domain) not in COMMON_TLDS)
        signals["email_digits"] = float(sum(ch.isdigit() for ch in email.split("@", 1)[0]) >= 3)
        signals[f"email_domain={email_domain}"] = 1.0
    return signals
