"""The shared feature extractor: n-grams of the normalised comment and name, plus metadata signals."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from model.lexicon import LEXICON_PREFIX, lexicon_signals, lexicon_words
from model.normalize import PLACEHOLDERS
from model.prepared import PreparedText, as_prepared
from model.signals import extract_signals

Example = Mapping[str, str]
_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b|\b\w\b")
EXPLAIN_CANDIDATES = 40
MIN_SHARE_OF_TOP = 0.2
# scikit-learn's English stop words minus the ones that carry meaning here: negations ("not stupid") and
# content words that the list happens to hold ("fire", "bill", "call", "cry", "show", "see", "give").
NEGATIONS = frozenset({"not", "no", "never", "nor", "nothing", "nobody", "none", "noone", "cannot", "cant",
                       "couldnt", "hasnt", "neither", "nowhere", "without"})
_CONTENT_WORDS = frozenset({"bill", "call", "con", "cry", "describe", "detail", "empty", "fill", "find", "fire",
                            "front", "full", "give", "interest", "keep", "mill", "move", "name", "part", "put",
                            "see", "serious", "show", "side", "sincere", "system", "take", "thick", "thin", "top",
                            "bottom", "back", "get", "go", "please", "found", "made"})
FUNCTION_WORDS = ENGLISH_STOP_WORDS - NEGATIONS - _CONTENT_WORDS
_PLACEHOLDER_TOKEN = re.compile(r"\b(?:" + "|".join(PLACEHOLDERS) + r")\b")
# Bumped whenever a change here, in normalisation, in the signals or in the word lists would make an already
# trained model score differently: the model store refuses artifacts built under another version.
FEATURES_VERSION = "5"


def wording(normalized: str) -> str:
    """A normalised comment without its link, email and mention tokens: what the character n-grams read."""
    return _PLACEHOLDER_TOKEN.sub(" ", normalized)


def content_words(normalized: str) -> set[str]:
    """The words of a normalised comment that can carry meaning: longer than two letters, not function words,
    not link, email or mention tokens."""
    return {t for t in _WORD_TOKEN.findall(normalized)
            if len(t) > 2 and t not in FUNCTION_WORDS and t not in PLACEHOLDERS}


class CommentFeatures(TransformerMixin, BaseEstimator):
    """Turns comment dicts (comment, name, email, url) into one sparse matrix.

    Column blocks, in order: comment words, comment characters, name words, signals.
    """

    def __init__(self, word_ngrams=(1, 2), char_ngrams=(3, 5), min_df=2, max_word_features=80000,
                 max_char_features=150000):
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features

    @staticmethod
    def _texts(items: Sequence[PreparedText]) -> tuple[list[str], list[str], list[str]]:
        """(normalised comment, its wording, normalised name) per prepared comment.

        The word n-grams read the comment with its link, email and mention tokens: "check xurlx" is the best
        spam cue there is (measured: YouTube spam ROC-AUC 0.962 with them, 0.940 with counts of them as
        signals instead), and the toxicity head ignores those columns. The character n-grams read only the
        wording, where the letters of "xuserx" could not pass for parts of "user" or "abuser".
        """
        comments = [item.normalized for item in items]
        return comments, [wording(c) for c in comments], [item.normalized_name for item in items]

    @staticmethod
    def _signals(item: PreparedText) -> dict[str, float]:
        return extract_signals(item) | lexicon_signals(item.normalized)

    def fit(self, examples: Sequence[Example | PreparedText], y=None):
        """Learn the vocabularies."""
        items = [as_prepared(e) for e in examples]
        comments, wordings, names = self._texts(items)
        # Word n-grams skip function words: in a small written corpus "his" or "are" end up weighted by
        # accident of who wrote which file (measured: the default model's ROC-AUC is equal or better on
        # every real dataset without them). The character n-grams still see them, and the word lists
        # count second-person address.
        self.words_ = TfidfVectorizer(ngram_range=self.word_ngrams, min_df=self.min_df, sublinear_tf=True,
                                      stop_words=sorted(FUNCTION_WORDS), max_features=self.max_word_features,
                                      token_pattern=_WORD_TOKEN.pattern, dtype=np.float32).fit(comments)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, min_df=self.min_df,
                                      sublinear_tf=True, max_features=self.max_char_features,
                                      dtype=np.float32).fit(wordings)
        self.names_ = TfidfVectorizer(ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True,
                                      token_pattern=_WORD_TOKEN.pattern, dtype=np.float32)
        try:
            self.names_.fit(names)
        except ValueError:
            # No name recurs (most public datasets have none): one placeholder keeps the column block.
            self.names_.set_params(min_df=1).fit(["xnonamex"])
        self.signals_ = DictVectorizer(dtype=np.float32).fit(
            [self._signals(item) for item in items])
        sizes = [len(self.words_.vocabulary_), len(self.chars_.vocabulary_), len(self.names_.vocabulary_),
                 len(self.signals_.vocabulary_)]
        self.offsets_ = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        return self

    def transform(self, examples: Sequence[Example | PreparedText]):
        """Features for each example (comment fields or prepared comments), as a CSR matrix."""
        items = [as_prepared(e) for e in examples]
        comments, wordings, names = self._texts(items)
        return sp.hstack(
            [self.words_.transform(comments), self.chars_.transform(wordings), self.names_.transform(names),
             self.signals_.transform([self._signals(item) for item in items])],
            format="csr",
        )

    def lexicon_columns(self) -> np.ndarray:
        """A boolean mask of the word-list counts (profanity, insults, slurs, threats, derogatory words)."""
        mask = np.zeros(self.offsets_[-1], dtype=bool)
        for name, index in self.signals_.vocabulary_.items():
            if name.startswith(LEXICON_PREFIX):
                mask[self.offsets_[3] + index] = True
        return mask

    def non_wording_columns(self) -> np.ndarray:
        """A boolean mask of every column that is not about the comment's wording: the author's name,
        email and url, style and link signals, and the word n-grams of link, email and mention tokens."""
        mask = np.zeros(self.offsets_[-1], dtype=bool)
        mask[self.offsets_[2]:] = True
        for term, index in self.words_.vocabulary_.items():
            if _PLACEHOLDER_TOKEN.search(term):
                mask[self.offsets_[0] + index] = True
        return mask & ~self.lexicon_columns()

    def rows(self, examples: Sequence[Example | PreparedText]) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """(indices, values, normalised comment) per example: the numbers transform() gives, built directly.

        scikit-learn's transform() spends most of a millisecond validating its input; for the one or few
        comments of a request, looking the n-grams up ourselves is several times faster.
        """
        compiled = self._compiled()
        items = [as_prepared(e) for e in examples]
        comments, wordings, names = self._texts(items)
        result = []
        for item, comment, comment_wording, name in zip(items, comments, wordings, names, strict=True):
            parts_i, parts_v = [], []
            texts = (comment, comment_wording, name)
            for (analyzer, vocabulary, idf, offset), part in zip(compiled["tfidf"], texts, strict=True):
                found = [i for i in map(vocabulary.get, analyzer(part)) if i is not None]
                if found:
                    indices, counts = np.unique(np.array(found, dtype=np.int64), return_counts=True)
                    values = np.log(counts) + 1.0
                    values *= idf[indices]
                    values /= np.sqrt(values @ values)
                    parts_i.append(indices + offset)
                    parts_v.append(values)
            signal_vocabulary, offset = compiled["signals"]
            signals = [(signal_vocabulary[k], v) for k, v in self._signals(item).items()
                       if k in signal_vocabulary and v]
            if signals:
                parts_i.append(np.array([i for i, _ in signals], dtype=np.int64) + offset)
                parts_v.append(np.array([v for _, v in signals], dtype=np.float64))
            indices = np.concatenate(parts_i) if parts_i else np.empty(0, dtype=np.int64)
            values = np.concatenate(parts_v) if parts_v else np.empty(0, dtype=np.float64)
            result.append((indices, values, comment))
        return result

    def explain(self, indices: np.ndarray, values: np.ndarray, coef: np.ndarray, comment: str,
                top: int = 5) -> list[tuple[str, float]]:
        """The terms of one normalised comment (and name, and signals) that pushed a linear score up most.

        Character n-grams are credited to the words that contain them and word-list counts to the words they
        counted, so that a moderator sees words.
        """
        names = self._names()
        contributions = values * coef[indices]
        # The top few dozen contributions decide the top terms; crediting the long tail costs time for nothing.
        strongest = np.argsort(contributions)[::-1][:EXPLAIN_CANDIDATES]
        strongest = strongest[contributions[strongest] > 0]
        char_start, name_start, signal_start = self.offsets_[1:4]
        by_term: dict[str, float] = {}
        tokens = None

        def credit(owners, value):
            for owner in owners:
                by_term[owner] = by_term.get(owner, 0.0) + value / len(owners)

        for index, value in zip(indices[strongest], contributions[strongest], strict=True):
            term = names[index]
            if char_start <= index < name_start:
                if tokens is None:
                    # Character n-grams are credited to content words only: spreading them over "the"
                    # or "a" would show moderators noise.
                    tokens = content_words(comment)
                gram = term.strip()
                credit([t for t in tokens if gram in t], value)
            elif index < char_start:
                credit([term], value)
            elif index >= signal_start:
                # A word-list count is shown as the words it counted ("idiot"), which is what a moderator
                # needs to see; other signals keep their name.
                credit(sorted(set(lexicon_words(comment, term))) or [f"signal:{term}"], value)
            else:
                credit([f"name:{term}"], value)
        ranked = sorted(by_term.items(), key=lambda item: item[1], reverse=True)[:top]
        # Terms far weaker than the strongest are noise to a moderator (measured against the Toxic Spans
        # annotations: dropping them doubles the share of named words that people marked as toxic).
        ranked = [(term, weight) for term, weight in ranked if weight >= MIN_SHARE_OF_TOP * ranked[0][1]]
        return [(PLACEHOLDERS.get(term, term), round(float(weight), 4)) for term, weight in ranked]

    def get_feature_names_out(self, input_features=None):
        """Feature names prefixed by their block: word:, char:, name: or signal:."""
        prefixes = ("word:", "char:", "name:", "signal:")
        names = self._names()
        return np.array([prefixes[int(np.searchsorted(self.offsets_, i, side="right")) - 1] + n
                         for i, n in enumerate(names)], dtype=object)

    def _names(self) -> np.ndarray:
        # Built once per loaded model: get_feature_names_out allocates a large array each call.
        if getattr(self, "_names_cache", None) is None:
            self._names_cache = np.concatenate([
                self.words_.get_feature_names_out(), self.chars_.get_feature_names_out(),
                self.names_.get_feature_names_out(), self.signals_.get_feature_names_out(),
            ]).astype(object)
        return self._names_cache

    def _compiled(self) -> dict:
        if getattr(self, "_compiled_cache", None) is None:
            self._compiled_cache = {
                "tfidf": [(v.build_analyzer(), v.vocabulary_, v.idf_, self.offsets_[i])
                          for i, v in enumerate((self.words_, self.chars_, self.names_))],
                "signals": (self.signals_.vocabulary_, self.offsets_[3]),
            }
        return self._compiled_cache

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_names_cache", None)
        state.pop("_compiled_cache", None)
        return state


class ColumnMask(TransformerMixin, BaseEstimator):
    """Zeroes the masked columns, so that a head learns nothing from them (e.g. toxicity from the email)."""

    def __init__(self, drop: np.ndarray):
        self.drop = drop

    def fit(self, matrix, y=None):
        """Nothing to learn."""
        return self

    def transform(self, matrix):
        """The matrix with the dropped columns set to zero."""
        return matrix @ sp.diags((~self.drop).astype(matrix.dtype), format="csr")
