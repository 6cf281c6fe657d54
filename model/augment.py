"""Label-preserving variants of training examples, so that style is not mistaken for content.

The team-written corpus is tidier than real comment streams: its civil comments rarely carry @mentions,
hashtags, emoji or bare links, and its toxic ones rarely carry links. Left alone, the model learns those
accidents ("a link means not toxic"). Variants apply the same stylistic changes to every label.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Sequence
from dataclasses import replace

from model.corpus import Example

HANDLES = ("@USER", "@jay_m", "@newsfan22", "@Kaylee", "@the_real_dan", "@mo_salah_fan", "@ritz88", "@AnnaB")
HASHTAGS = ("#news", "#politics", "#NFL", "#football", "#election", "#breaking", "#music", "#local", "#fail",
            "#TBT", "#wow", "#2026", "#truth", "#MondayMood")
EMOJI = ("😂", "😂😂", "🔥", "👍", "🙄", "😭", "💯", "❤️", "😡", "🤣", "👏👏", "😳", "🤔")
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation.replace('@', '').replace('#', ''))}]")
AUGMENTED_WEIGHT = 0.5


def _short_link(rng: random.Random) -> str:
    code = "".join(rng.choices(string.ascii_letters + string.digits, k=10))
    return rng.choice((f"http://t.co/{code}", f"https://youtu.be/{code[:8]}", f"https://bit.ly/{code[:7]}",
                       f"https://www.instagram.com/p/{code}/"))


def _casual(text: str, rng: random.Random) -> str:
    text = _PUNCTUATION.sub("", text.lower()) if rng.random() < 0.6 else text.lower()
    return " ".join(text.split())


def _social(text: str, rng: random.Random, allow_link: bool) -> str:
    if rng.random() < 0.5:
        text = " ".join(rng.sample(HANDLES, rng.randint(1, 2))) + " " + text
    if rng.random() < 0.4:
        text = f"{text} {' '.join(rng.sample(HASHTAGS, rng.randint(1, 3)))}"
    if rng.random() < 0.4:
        text = f"{text} {rng.choice(EMOJI)}"
    if allow_link and rng.random() < 0.35:
        text = f"{text} {_short_link(rng)}"
    if rng.random() < 0.1:
        text = f"RT {rng.choice(HANDLES)}: {text}"
    return text


def augment(examples: Sequence[Example], fraction: float = 0.35, seed: int = 0) -> list[Example]:
    """Variants of a random fraction of examples: casual (lower case, little punctuation) and social-media
    dressing (mentions, hashtags, emoji, short links), each given a lower weight than written examples."""
    rng = random.Random(seed)
    variants = []
    for example in examples:
        if rng.random() >= fraction:
            continue
        text = example.comment
        if rng.random() < 0.5:
            text = _casual(text, rng)
        # Short links are a real spam cue, so only non-spam comments get them here: the variants teach that
        # a link alone does not make a comment spam or make it civil.
        text = _social(text, rng, allow_link=not example.spam)
        if text != example.comment:
            variants.append(replace(example, comment=text, weight=example.weight * AUGMENTED_WEIGHT,
                                    source=f"{example.source}#augmented"))
    return variants
