"""Which language a comment is written in, so that the policy can hold what the model was not trained on.

The seed site is an English-language Moroccan outlet whose readers also write French, Arabic, and Darija in
Latin letters (Arabizi: "wach kayn chi 7al?"). py3langid, whose model ships inside the package, tells the written
languages apart; it knows no Darija, which in Latin letters it reads as Welsh, Dutch or English with low
confidence, so Darija is recognised first, by its digits-for-letters spelling and its commonest words.

A text too short to tell (or one py3langid is unsure of) gets "": the caller treats it as the default language,
since "ok" or "Bravo!" is no reason to hold a comment.
"""

from __future__ import annotations

import functools
import re
import threading

# ISO 639-1 codes py3langid chooses among: the languages of the site's readers and of the commonest spam. Fewer
# candidates make short texts far more reliable ("Agreed, well said." is English at 0.99 among these, at 0.79
# among all 97).
CANDIDATES = ("en", "fr", "ar", "es", "de", "it", "pt", "nl", "tr", "id", "ru", "hi")
DARIJA = "ary"  # ISO 639-3: Moroccan Arabic, here in Latin letters
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.9
_WORD = re.compile(r"[^\W_]+")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Arabizi writes the Arabic letters Latin lacks as digits: 3 (ain), 7 (ha), 9 (qaf), 2 (hamza), 5 (kha).
_ARABIZI = re.compile(r"^(?=.*[a-z])(?:[a-z]*[23579][a-z]+|[a-z]+[23579])$")
_DARIJA_WORDS = frozenset({
    "wach", "wash", "dyal", "dial", "diyal", "bzaf", "bzzaf", "hadchi", "hadshi", "walakin", "khouya", "khoya",
    "bghit", "bghina", "kayn", "kayna", "kaynin", "machi", "mashi", "daba", "mzyan", "mzian", "hna", "nta", "ntia",
    "ntouma", "wla", "ghir", "gher", "bach", "fin", "kifach", "kifash", "3lach", "3la", "ach", "rah", "raha",
    "rahom", "sahbi", "safi", "zwin", "zwina", "drari", "lblad", "lmghrib", "lmaghrib", "chwiya", "chi", "had",
    "hadi", "hadak", "hadik", "dima", "bezzaf", "ma3ndich", "makaynch", "makaynach", "3ndna", "3ndhom", "hiya",
    "huwa", "howa", "kolchi", "kulchi", "walo", "wakha", "yallah", "inchallah", "nchallah", "lhamdulillah",
    "hamdullah", "mabrouk", "chkoun", "chno", "achno", "fhad", "lhokouma", "lmakhzen", "l3ez", "9adiya",
})


@functools.cache
def _identifier():
    # Loading the model takes seconds (it is xz-compressed): once per process, and never at import time.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    return identifier


_lock = threading.Lock()


def warm_up() -> None:
    """Load the language model now rather than on the first comment."""
    _identifier()


def _looks_like_darija(words: list[str]) -> bool:
    hits = sum(1 for w in words if w in _DARIJA_WORDS or _ARABIZI.match(w))
    return hits >= 2 and hits >= 0.2 * len(words)


def detect(text: str) -> str:
    """The comment's language: an ISO 639-1 code, "ary" for Darija in Latin letters, or "" when too short or
    too unsure to tell."""
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < MIN_LETTERS:
        return ""
    arabic = len(_ARABIC_LETTER.findall(text))
    if arabic >= 0.5 * letters:
        return "ar"
    words = [w.lower() for w in _WORD.findall(text)]
    if _looks_like_darija(words):
        return DARIJA
    with _lock:  # the identifier keeps per-call state
        language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE else ""
