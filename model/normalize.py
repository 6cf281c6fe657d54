"""Text normalisation that undoes the usual obfuscations before the vectorisers see the text.

A change here changes what trained models compute: bump model.features.FEATURES_VERSION with it.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata

from model.signals import replace_links

# Latin lookalikes from Cyrillic, Greek and other scripts that spammers swap in to dodge filters.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "к": "k", "м": "m",
        "т": "t", "в": "b", "н": "h", "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h",
        "О": "o", "Р": "p", "С": "c", "Т": "t", "Х": "x", "У": "y", "α": "a", "β": "b", "ε": "e",
        "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "Α": "a",
        "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o",
        "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss",
        "Ѕ": "s", "І": "i", "Ј": "j",
    }
)

# Digits and symbols read as letters, applied only inside tokens that also contain letters,
# so that "2019" or "$4.50" survive while "1d10t", "v!agra" and "$hit" are undone.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
     "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "(": "c"}
)
_LEET_CHARS = set("0134578@$!|+€(9")

# An email address, or (no "email" group) the rest of a run such as "a.a.a.a..." once the address has failed at
# its start: every later start in the run reaches the same "@" and fails too, and searching from each of them
# took quadratic time. The local part is possessive: it can only be followed by its "@" when it is whole.
_EMAIL_OR_RUN = re.compile(r"\b(?:(?P<email>[\w.+-]++@[\w-]+(?:\.[\w-]+)+\b)|(?=\w*+[.+-][\w.+-])[\w.+-]++)")
_USER_MENTION = re.compile(r"@\w+")
# Tweet datasets and exports replace every link with the bare word "URL"; it is a link all the same.
_ANONYMISED_LINK = re.compile(r"\bURL\b")
# What links, email addresses and mentions become (facts about a comment's form, not its wording), and how a
# moderator sees them in an explanation.
PLACEHOLDERS = {"xurlx": "(a link)", "xemailx": "(an email address)", "xuserx": "(a mention)"}
# Three or more single letters separated by one space, dot, dash, underscore or star: "f u c k", "c.a.s.i.n.o".
_SPACED = re.compile(r"\b(?:[^\W\d_][ .\-_*]){2,}[^\W\d_]\b")
_SPACED_SEPARATORS = re.compile(r"[ .\-_*]")
_REPEATS = re.compile(r"(.)\1{2,}")
# A token holding a character that may stand for a letter: only those can change when leetspeak is undone.
_LEET_TOKEN = re.compile(r"(?<!\S)(?=\S*[0134578@$!|+€(9])\S+")
# "#LiberalismIsADisorder" reads as words; camel case is the only word boundary a hashtag keeps.
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Contractions are spelled out, so that their fragments ("ll" of "I'll", "t" of "don't") are not words that a
# small corpus can weight by accident, and "isn't stupid" reads like "is not stupid". An "'s" only loses its
# apostrophe ("trump's" reads "trumps", "that's" "thats", as people type them): dropping it would make a
# moderator's listed "trump's" match every "trump".
_IRREGULAR_CONTRACTIONS = {"won't": "will not", "can't": "cannot", "shan't": "shall not", "ain't": "is not"}
_CONTRACTION = re.compile(r"\b(won't|can't|shan't|ain't)\b|(?<=[a-z])(n't|'ll|'re|'ve|'m|'d|'s)\b")
_CONTRACTION_ENDINGS = {"n't": " not", "'ll": " will", "'re": " are", "'ve": " have", "'m": " am", "'d": " would",
                        "'s": "s"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


# CPython orders the combining marks of a decomposition by insertion sort, quadratic in a run of marks of mixed
# classes ("e" followed by 10,000 alternating marks takes a second). A run is only that long in text that holds a
# long run of characters decomposing to marks only: all of them are outside \w and ASCII except two half-width
# kana marks. Such text is decomposed and ordered here first, by a linear pass and Python's sort; normalising the
# already ordered text gives the same result in linear time. (Unicode's stream-safe format allows 30 marks in a
# row; real text has a handful.)
_LONG_MARK_RUN = re.compile(r"(?:[^\w\s\x00-\x7f]|[\uff9e\uff9f]){30,}")
_MARK_RUN = re.compile(rb"\x01{2,}")
_NFKD = functools.partial(unicodedata.normalize, "NFKD")


def _decomposed(text: str) -> str:
    """NFKD(text), with each run of marks ordered by Python's stable sort instead of CPython's insertion sort."""
    decomposed = "".join(map(_NFKD, text))
    # Find the runs of marks (non-zero combining class) with a bytes pattern over one flag per character.
    is_mark = bytes(map(bool, map(unicodedata.combining, decomposed)))
    pieces, done = [], 0
    for run in _MARK_RUN.finditer(is_mark):
        start, end = run.span()
        pieces.append(decomposed[done:start])
        pieces.append("".join(sorted(decomposed[start:end], key=unicodedata.combining)))
        done = end
    pieces.append(decomposed[done:])
    return "".join(pieces)


def fold_unicode(text: str) -> str:
    """NFKC-fold, map homoglyphs to Latin and strip accents, keeping case."""
    if text.isascii():  # ASCII is its own NFKC and NFD form and holds no homoglyph or accent
        return text
    if _LONG_MARK_RUN.search(text):
        text = _decomposed(text)
    text = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPHS)
    if text.isascii():  # curly quotes and homoglyphs are common, accents rarer
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if not any(map(unicodedata.combining, decomposed)):
        return decomposed
    return "".join(itertools.compress(decomposed, map(operator.not_, map(unicodedata.combining, decomposed))))


def _unleet(token: str) -> str:
    if not any(ch.isalpha() for ch in token) or not (_LEET_CHARS & set(token)):
        return token
    core = token.strip(".,;:?\"'()[]{}")
    if not core or not any(ch.isalpha() for ch in core):
        return token
    # A trailing "!" or "." is punctuation, not a letter.
    stripped = core.rstrip("!")
    return token.replace(stripped, stripped.translate(_LEET)) if stripped else token


def _spell_out(match: re.Match) -> str:
    if match.group(1):
        return _IRREGULAR_CONTRACTIONS[match.group(1)]
    return _CONTRACTION_ENDINGS[match.group(2)]


def normalize_text(text: str) -> str:
    """Lower-case text with links, emails and mentions replaced by tokens and obfuscation undone."""
    text = fold_unicode(text)
    # Each pass is skipped when the text lacks a character its pattern needs: most comments have no "@" or "#".
    if "@" in text:
        text = _EMAIL_OR_RUN.sub(lambda m: " xemailx " if m.lastgroup else m.group(), text)
    text = replace_links(text, " xurlx ")
    if "URL" in text:
        text = _ANONYMISED_LINK.sub(" xurlx ", text)
    if "@" in text:
        text = _USER_MENTION.sub(" xuserx ", text)
    if "#" in text:
        text = _HASHTAG.sub(lambda m: "#" + _CAMEL.sub(" ", m.group(1)), text)
    text = text.lower().translate(_APOSTROPHES)
    if "'" in text:  # most names and many comments have none; the regex costs several microseconds a call
        text = _CONTRACTION.sub(_spell_out, text)
    text = _SPACED.sub(lambda m: _SPACED_SEPARATORS.sub("", m.group(0)), text)
    text = _LEET_TOKEN.sub(lambda m: _unleet(m.group(0)), text)
    return _REPEATS.sub(r"\1", text)
