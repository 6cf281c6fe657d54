"""Word lists the team wrote, counted as signals: they generalise where n-grams of a small corpus do not.

Counts are of whole normalised tokens, matching a stem at the start of the token ("fuck" covers "fucking",
"fuckin", "fucker"), so a long comment with one insult still shows it: n-gram weights are diluted by length,
these counts are not.

A change here changes what trained models compute: bump model.features.FEATURES_VERSION with it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# Offensive material, listed only so that the model can recognise it. A trailing * matches any ending
# ("fuck*" covers "fucking"); other entries match the whole word, plural included ("ass" is not "assess").
PROFANITY = (
    "fuck*", "fuk*", "fck*", "phuck*", "motherfuck*", "shit*", "bullshit*", "bitch*", "biatch*", "cunt*", "dick",
    "dickhead*", "cock", "cocksuck*", "pussy", "pussies", "asshole*", "arsehole*", "ass", "azz", "dumbass*",
    "bastard*", "whore*", "slut*", "hoe", "thot", "twat*", "wank*", "bollock*", "prick", "jizz*", "tits", "titties",
    "cum", "damn*", "goddamn*", "crap", "crappy", "piss*", "douche*",
)
INSULTS = (
    "idiot*", "moron*", "stupid*", "dumb", "dumber", "dumbest", "imbecil*", "cretin*", "retard*", "loser*", "scum*",
    "pathetic*", "clown*", "fool", "foolish", "buffoon*", "jackass*", "worthless", "useless", "ugly", "fatass*",
    "garbage", "pig", "dipshit*", "halfwit*", "nitwit*", "numbskull*", "brainless", "braindead",
    "libtard*", "trumptard*", "snowflake", "sheep", "troll", "creep*", "freak", "lowlife*", "degenerate*",
    "parasite*", "vermin", "rat", "bum", "coward*", "hypocrite*", "liar*", "shill", "bimbo*", "skank*", "tramp",
    "wimp", "sissy", "jerk", "twit", "git", "tosser*", "cuck*", "simp",
)
SLURS = (
    "nigger*", "nigga*", "niggah*", "negro", "faggot*", "fag", "dyke", "tranny", "trannies", "kike", "spic", "chink",
    "wetback*", "raghead*", "towelhead*", "paki", "gook", "coon", "beaner*", "gypsy", "gypsies", "pikey", "kafir*",
    "sandnigger*", "camel jockey", "retarded", "spaz*", "spastic*", "homo", "queer", "shemale*", "jap", "wop", "dago",
)
THREATS = (
    "kill", "killing", "murder*", "shoot", "shot", "hang", "hanged", "hanging", "lynch*", "stab", "stabbed",
    "bullet*", "rape*", "behead*", "burn", "beat", "die", "dead", "death", "bomb", "strangle*", "slit", "gas",
    "exterminat*", "execute", "hunt", "kys", "noose*", "gun", "knife",
)
# Words that are not insults on their own but mark a comment that attacks rather than argues.
DEROGATORY = (
    "crazy", "insane", "nutjob*", "nutcase*", "lunatic*", "psycho*", "sicko*", "disgusting", "disgrace*", "evil",
    "nazi*", "fascist*", "commie*", "racist*", "bigot*", "thug*", "pedo*", "paedo*", "pervert*", "traitor*",
    "sucks", "suck", "sucker*", "hate", "hater*", "shut up", "stfu", "gtfo", "go to hell", "get lost", "filth*",
    "nasty", "gross", "vile", "despicable", "sleazy", "sleazebag*", "scumbag*", "cockroach*", "animals", "savage*",
    "subhuman*", "inbred*", "clueless", "ignorant", "delusional", "hysterical", "lame", "weak", "pos",
)
LEXICON_PREFIX = "lexicon_"
# The L2 penalty treats every feature alike; scaling these few general counts up lets them carry weight
# that would otherwise go to thousands of corpus-specific n-grams (measured: better on every real dataset).
SCALE = 3.0
SECOND_PERSON = ("you", "your", "youre", "ur", "u", "ya", "yo")
_LISTS = {"profanity": PROFANITY, "insult_words": INSULTS, "slurs": SLURS, "threat_words": THREATS,
          "derogatory": DEROGATORY}
_TOKEN = re.compile(r"[a-z]+")
# The runs of word characters that are all letters a-z: what a single-word entry can match in full.
_LETTER_WORD = re.compile(r"\b[a-z]+\b")
_KNOWN_WORDS_LIMIT = 20_000


def _alternatives(words: Iterable[str]) -> list[str]:
    words = tuple(words)
    stems = [re.escape(w[:-1]) + r"[a-z]*" for w in words if w.endswith("*")]
    whole = [re.escape(w) + r"(?:e?s)?" for w in words if not w.endswith("*")]
    return sorted(stems + whole, key=len, reverse=True)


def _matcher(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(_alternatives(words)) + r")\b")


_MATCHERS = {name: _matcher(words) for name, words in _LISTS.items()}
# The same counts, faster: a single-word entry matches whole words only, so each distinct word of a comment is
# checked once against every list and remembered, and only the few phrases ("shut up") are searched for. The
# counts are equal as long as no word of a phrase is itself an entry of its list, which is checked here.
_SINGLE_WORDS = {name: re.compile("|".join(_alternatives(w for w in words if " " not in w)))
                 for name, words in _LISTS.items()}
_PHRASES = {name: (_matcher(phrases), tuple(p.split()[0] for p in phrases))
            for name, words in _LISTS.items() if (phrases := tuple(w for w in words if " " in w))}


def _check_phrases() -> None:
    for name, words in _LISTS.items():
        for phrase in (w.rstrip("*").split() for w in words if " " in w):
            if any(_SINGLE_WORDS[name].fullmatch(w) for w in [*phrase, phrase[-1] + "s", phrase[-1] + "es"]):
                raise ValueError(f"a word of the phrase {' '.join(phrase)!r} is also an entry of the {name} list")


_check_phrases()
_known_words: dict[str, tuple[str, ...]] = {}


def _lists_of(word: str) -> tuple[str, ...]:
    lists = _known_words.get(word)
    if lists is None:
        lists = tuple(name for name, single in _SINGLE_WORDS.items() if single.fullmatch(word))
        if len(_known_words) >= _KNOWN_WORDS_LIMIT:
            _known_words.clear()
        if len(word) <= 24:
            _known_words[word] = lists
    return lists


def lexicon_words(normalized: str, signal: str) -> list[str]:
    """The words of an already normalised comment that a word-list signal counted, for explanations.

    The second-person signal counts the address ("you", "ur") next to an insult or a swear word."""
    name = signal.removeprefix(LEXICON_PREFIX)
    if name == "at_you":
        return [t for t in _TOKEN.findall(normalized) if t in SECOND_PERSON]
    return _MATCHERS[name].findall(normalized) if name in _MATCHERS else []


def lexicon_counts(normalized: str) -> dict[str, int]:
    """How many words (and phrases) of each list an already normalised comment holds, as _MATCHERS count them."""
    counts: dict[str, int] = {}
    for word in _LETTER_WORD.findall(normalized):
        for name in _lists_of(word):
            counts[name] = counts.get(name, 0) + 1
    for name, (matcher, first_words) in _PHRASES.items():
        if any(first in normalized for first in first_words) and (hits := len(matcher.findall(normalized))):
            counts[name] = counts.get(name, 0) + hits
    return counts


def lexicon_signals(normalized: str) -> dict[str, float]:
    """Counts (log-scaled) of each word list in an already normalised comment, plus their interaction
    with second-person address ("you" near an insult is the commonest abuse)."""
    counts = lexicon_counts(normalized)
    signals = {f"{LEXICON_PREFIX}{name}": SCALE * math.log1p(counts[name]) for name in _MATCHERS if name in counts}
    if f"{LEXICON_PREFIX}insult_words" in signals or f"{LEXICON_PREFIX}profanity" in signals:
        tokens = set(_TOKEN.findall(normalized))
        if tokens & set(SECOND_PERSON):
            signals[f"{LEXICON_PREFIX}at_you"] = SCALE
    return signals
