"""The shared feature extractor: n-grams of the normalised comment and name, plus metadata signals."""

from __future__ import annotations

import bisect
import itertools
import math
import re
from array import array
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
# A loaded model remembers the character n-grams of up to this many distinct words of up to this length (about
# 5 MB once full, 15 MB at most; longer words, rare and possibly crafted, are looked up each time). The memory is
# emptied when full, which is cheaper than keeping track of the least used words.
CHAR_GRAM_CACHE_WORDS = 20_000
CHAR_GRAM_CACHE_WORD_LENGTH = 24
EXPLAINED_TERMS_CACHE = 50_000  # columns whose explanation form is remembered
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
FEATURES_VERSION = "6"
# The signals that only say a comment, or its url field, links somewhere.
LINK_SIGNALS = frozenset({"links", "distinct_domains", "url_given", "url_tld_uncommon", "link_tld_uncommon",
                          "name_has_link"})


def wording(normalized: str) -> str:
    """A normalised comment without its link, email and mention tokens: what the character n-grams read."""
    if "xurlx" in normalized or "xuserx" in normalized or "xemailx" in normalized:  # most comments have none
        return _PLACEHOLDER_TOKEN.sub(" ", normalized)
    return normalized


def content_words(normalized: str) -> set[str]:
    """The words of a normalised comment that can carry meaning: longer than two letters, not function words,
    not link, email or mention tokens."""
    return {t for t in _WORD_TOKEN.findall(normalized)
            if len(t) > 2 and t not in FUNCTION_WORDS and t not in PLACEHOLDERS}


_OWNED, _CHARACTERS, _WORD_LIST = object(), object(), object()  # how a column is shown in explanations


class _ContentWords:
    """The content words of one normalised comment, and which of them contain a character n-gram."""

    def __init__(self, comment: str):
        # First appearances, in order, so that explanations do not depend on the order of a set.
        self._tokens = [t for t in dict.fromkeys(_WORD_TOKEN.findall(comment))
                        if len(t) > 2 and t not in FUNCTION_WORDS and t not in PLACEHOLDERS]
        # One string to search: an n-gram never holds a space, so a hit lies inside one word.
        self._joined = " ".join(self._tokens)
        self._starts = list(itertools.accumulate((len(t) + 1 for t in self._tokens[:-1]), initial=0))

    def containing(self, gram: str) -> list[str]:
        """The content words containing gram (which holds no space, as no character n-gram does), in the order
        they first appear in the comment."""
        owners: list[str] = []
        position = self._joined.find(gram) if self._tokens else -1
        while position >= 0:
            k = bisect.bisect_right(self._starts, position) - 1
            owners.append(self._tokens[k])
            position = self._joined.find(gram, self._starts[k] + len(self._tokens[k]) + 1)
        return owners


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
        self.fit_transform(examples)
        return self

    def fit_transform(self, examples: Sequence[Example | PreparedText], y=None):
        """Learn the vocabularies and return the examples' features, reading each text once (fit() and then
        transform() would analyse every comment twice, most of the feature time with 100,000 labels)."""
        items = [as_prepared(e) for e in examples]
        comments, wordings, names = self._texts(items)
        # Word n-grams skip function words: in a small written corpus "his" or "are" end up weighted by
        # accident of who wrote which file (measured: the default model's ROC-AUC is equal or better on
        # every real dataset without them). The character n-grams still see them, and the word lists
        # count second-person address.
        self.words_ = TfidfVectorizer(ngram_range=self.word_ngrams, min_df=self.min_df, sublinear_tf=True,
                                      stop_words=sorted(FUNCTION_WORDS), max_features=self.max_word_features,
                                      token_pattern=_WORD_TOKEN.pattern, dtype=np.float32)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, min_df=self.min_df,
                                      sublinear_tf=True, max_features=self.max_char_features, dtype=np.float32)
        self.names_ = TfidfVectorizer(ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True,
                                      token_pattern=_WORD_TOKEN.pattern, dtype=np.float32)
        blocks = [self.words_.fit_transform(comments), self.chars_.fit_transform(wordings)]
        try:
            blocks.append(self.names_.fit_transform(names))
        except ValueError:
            # No name recurs (most public datasets have none): one placeholder keeps the column block.
            self.names_.set_params(min_df=1).fit(["xnonamex"])
            blocks.append(self.names_.transform(names))
        self.signals_ = DictVectorizer(dtype=np.float32)
        blocks.append(self.signals_.fit_transform([self._signals(item) for item in items]))
        sizes = [len(self.words_.vocabulary_), len(self.chars_.vocabulary_), len(self.names_.vocabulary_),
                 len(self.signals_.vocabulary_)]
        self.offsets_ = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        return sp.hstack(blocks, format="csr")

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

    def link_columns(self) -> np.ndarray:
        """A boolean mask of the columns that say only that a comment links somewhere: the link and url-field
        signals and the word n-grams of the link token. A spam score that needs them alone to reach a reject is
        evidence of a link, not of spam."""
        mask = np.zeros(self.offsets_[-1], dtype=bool)
        for name, index in self.signals_.vocabulary_.items():
            if name in LINK_SIGNALS:
                mask[self.offsets_[3] + index] = True
        for term, index in self.words_.vocabulary_.items():
            if "xurlx" in term:
                mask[self.offsets_[0] + index] = True
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
        words, names = compiled["words"], compiled["names"]
        signal_vocabulary, signal_offset = compiled["signals"]
        result = []
        for item in map(as_prepared, examples):
            comment = item.normalized
            # Column numbers of every n-gram of the three text blocks, repeats included, as int64 bytes.
            found = b"".join([array("q", _grams_in(words, comment)).tobytes(), self._char_grams_in(wording(comment)),
                              array("q", _grams_in(names, item.normalized_name)).tobytes()])
            indices, values = self._tfidf(found)
            signals = [(signal_vocabulary[k], v) for k, v in self._signals(item).items()
                       if v and k in signal_vocabulary]
            if signals:
                indices = np.concatenate([indices, np.fromiter((i for i, _ in signals), np.int64, len(signals))
                                          + signal_offset])
                values = np.concatenate([values, np.fromiter((v for _, v in signals), np.float64, len(signals))])
            result.append((indices, values, comment))
        return result

    def _tfidf(self, found: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the text blocks as TfidfVectorizer computes them (sublinear tf times idf, each
        block l2-normalised), in column order, from the column of every n-gram found (repeats counted, as int64
        bytes).

        One pass over all three blocks: for the hundred or so n-grams of a comment, the fixed cost of each numpy
        call is most of the time."""
        compiled = self._compiled()
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        columns = np.sort(np.frombuffer(found, dtype=np.int64))
        # The distinct columns and how often each occurs (what np.unique does, with less overhead).
        change = np.empty(len(columns) + 1, dtype=bool)
        change[0] = change[-1] = True
        np.not_equal(columns[1:], columns[:-1], out=change[1:-1])
        edges = np.flatnonzero(change)
        indices, counts = columns[edges[:-1]], edges[1:] - edges[:-1]
        values = np.log(counts) + 1.0
        values *= compiled["idf"][indices]
        bounds = [0, *indices.searchsorted(compiled["block_starts"]).tolist(), len(indices)]
        for low, high in itertools.pairwise(bounds):
            if high > low:
                block = values[low:high]
                block /= math.sqrt(block @ block)
        return indices, values

    def _char_grams_in(self, text: str) -> bytes:
        """The columns of a text's character n-grams, repeats included, as int64 bytes, as the char_wb analyzer
        finds them: word by word (each padded with a space), so that each word's are looked up once and
        remembered (as bytes: a comment's are joined by one call)."""
        compiled = self._compiled()
        _, vocabulary, _, offset = compiled["chars"]
        grams_of, known = compiled["char_grams"], compiled["char_grams_of_word"]
        found = []
        for word in text.lower().split():
            columns = known.get(word)
            if columns is None:
                columns = array("q", [i + offset for i in map(vocabulary.get, grams_of(word)) if i is not None])
                columns = columns.tobytes()
                if len(word) <= CHAR_GRAM_CACHE_WORD_LENGTH:
                    if len(known) >= CHAR_GRAM_CACHE_WORDS:
                        known.clear()
                    known[word] = columns
            found.append(columns)
        return b"".join(found)

    def explain(self, indices: np.ndarray, values: np.ndarray, coef: np.ndarray, comment: str,
                top: int = 5) -> list[tuple[str, float]]:
        """The terms of one normalised comment (and name, and signals) that pushed a linear score up most.

        Character n-grams are credited to the words that contain them and word-list counts to the words they
        counted, so that a moderator sees words.
        """
        return self.explain_many(indices, (values * coef[indices])[np.newaxis], comment, top)[0]

    def explain_many(self, indices: np.ndarray, contributions: np.ndarray, comment: str,
                     top: int = 5) -> list[list[tuple[str, float]]]:
        """explain() for several linear scores of one comment at once, one row of contributions (values times
        coefficients, one column per index) each: the words a character n-gram or a word list credits are found
        once."""
        terms = self._compiled()["explained_terms"]
        owners_of: dict[int, list[str]] = {}  # column -> the terms it is credited to, in this comment
        words = None
        explanations = []
        # The top few dozen contributions decide the top terms; crediting the long tail costs time for nothing.
        # (Many n-grams of one training comment share a weight: which of those ties make the cut is up to argsort,
        # kept as it was so that explanations stay the same.) One call sorts every score's row.
        strongest = np.argsort(contributions, axis=1)[:, ::-1][:, :EXPLAIN_CANDIDATES]
        rows = np.arange(len(contributions))[:, np.newaxis]
        for column_indices, column_values in zip(indices[strongest].tolist(), contributions[rows, strongest].tolist(),
                                                 strict=True):
            by_term: dict[str, float] = {}
            for index, value in zip(column_indices, column_values, strict=True):
                if value <= 0:
                    break  # in decreasing order: the rest are no larger
                owners = owners_of.get(index)
                if owners is None:
                    kind, term = terms.get(index) or self._explained_term(index)
                    if kind is _OWNED:
                        owners = term
                    elif kind is _CHARACTERS:
                        # Character n-grams are credited to content words only: spreading them over "the" or
                        # "a" would show moderators noise.
                        if words is None:
                            words = _ContentWords(comment)
                        owners = words.containing(term)
                    else:
                        # A word-list count is shown as the words it counted ("idiot"), which is what a moderator
                        # needs to see.
                        owners = sorted(set(lexicon_words(comment, term))) or [f"signal:{term}"]
                    owners_of[index] = owners
                if len(owners) == 1:
                    by_term[owners[0]] = by_term.get(owners[0], 0.0) + value
                else:
                    for owner in owners:
                        by_term[owner] = by_term.get(owner, 0.0) + value / len(owners)
            ranked = sorted(by_term.items(), key=lambda item: item[1], reverse=True)[:top]
            # Terms far weaker than the strongest are noise to a moderator (measured against the Toxic Spans
            # annotations: dropping them doubles the share of named words that people marked as toxic).
            ranked = [(term, weight) for term, weight in ranked if weight >= MIN_SHARE_OF_TOP * ranked[0][1]]
            explanations.append([(PLACEHOLDERS.get(term, term), round(float(weight), 4)) for term, weight in ranked])
        return explanations

    def _explained_term(self, index: int) -> tuple[object, list[str] | str]:
        """How one column is shown in explanations, remembered per column: its fixed owners (a word n-gram, a
        name n-gram, a signal), its stripped character n-gram, or the word-list signal to read the words of."""
        compiled = self._compiled()
        term = self._name_list()[index]
        char_start, name_start, signal_start = compiled["block_bounds"]
        if char_start <= index < name_start:
            explained = (_CHARACTERS, term.strip())
        elif index < char_start:
            explained = (_OWNED, [term])
        elif index < signal_start:
            explained = (_OWNED, [f"name:{term}"])
        elif term.startswith(LEXICON_PREFIX):
            explained = (_WORD_LIST, term)
        else:
            explained = (_OWNED, [f"signal:{term}"])
        if len(compiled["explained_terms"]) >= EXPLAINED_TERMS_CACHE:
            compiled["explained_terms"].clear()
        compiled["explained_terms"][index] = explained
        return explained

    def get_feature_names_out(self, input_features=None):
        """Feature names prefixed by their block: word:, char:, name: or signal:."""
        prefixes = ("word:", "char:", "name:", "signal:")
        names = self._names()
        return np.array([prefixes[int(np.searchsorted(self.offsets_, i, side="right")) - 1] + n
                         for i, n in enumerate(names)], dtype=object)

    def _name_list(self) -> list[str]:
        # A list: indexing it is several times faster than indexing the object array, per term explained.
        if getattr(self, "_name_list_cache", None) is None:
            self._name_list_cache = self._names().tolist()
        return self._name_list_cache

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
            blocks = {name: (_analyzer(v), v.vocabulary_, v.idf_, int(self.offsets_[i]))
                      for i, (name, v) in enumerate((("words", self.words_), ("chars", self.chars_),
                                                     ("names", self.names_)))}
            self._compiled_cache = {
                **blocks,
                "idf": np.concatenate([self.words_.idf_, self.chars_.idf_, self.names_.idf_]),
                "block_starts": [int(self.offsets_[1]), int(self.offsets_[2])],
                "block_bounds": tuple(self.offsets_[1:4].tolist()),
                "signals": (self.signals_.vocabulary_, int(self.offsets_[3])),
                "char_grams": _word_char_grams(self.chars_),
                "char_grams_of_word": {},
                "explained_terms": {},  # column -> _explained_term(column)
            }
        return self._compiled_cache

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_names_cache", None)
        state.pop("_name_list_cache", None)
        state.pop("_compiled_cache", None)
        return state


def _analyzer(vectorizer: TfidfVectorizer):
    """The vectorizer's analyzer; for plain word n-grams, the same n-grams built without scikit-learn's
    chain of partial functions, which costs more than the work on a short text."""
    v = vectorizer
    if v.analyzer != "word" or v.input != "content" or not v.lowercase or v.preprocessor or v.tokenizer or \
            v.strip_accents:
        return v.build_analyzer()
    tokenize = re.compile(v.token_pattern).findall
    stop_words = v.get_stop_words()
    min_n, max_n = v.ngram_range

    def analyze(text: str) -> list[str]:
        tokens = tokenize(text.lower())
        if stop_words is not None:
            tokens = [t for t in tokens if t not in stop_words]
        grams = list(tokens) if min_n == 1 else []
        for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
            grams += map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False))
        return grams

    return analyze


def _word_char_grams(vectorizer: TfidfVectorizer):
    """The character n-grams of one lower-case word as the char_wb analyzer makes them (the word padded with a
    space on each side; a padded word shorter than n counts once), without its per-call overhead."""
    v = vectorizer
    if v.analyzer != "char_wb" or v.input != "content" or not v.lowercase or v.preprocessor or v.strip_accents:
        return v.build_analyzer()
    min_n, max_n = v.ngram_range

    def grams(word: str) -> list[str]:
        padded = f" {word} "
        length = len(padded)
        found = []
        for n in range(min_n, max_n + 1):
            if n >= length:
                found.append(padded)
                break
            found += [padded[i:i + n] for i in range(length - n + 1)]
        return found

    return grams


def _grams_in(block: tuple, text: str) -> list[int]:
    """The columns of a text's n-grams in one block, repeats included."""
    analyzer, vocabulary, _, offset = block
    if offset:
        return [i + offset for i in map(vocabulary.get, analyzer(text)) if i is not None]
    return [i for i in map(vocabulary.get, analyzer(text)) if i is not None]


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
