"""The moderation model: calibrated linear heads for spam and toxicity over shared features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import _SigmoidCalibration
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from model.features import ColumnMask, CommentFeatures
from model.prepared import PreparedText, prepare

LABELS = ("spam", "toxicity")
C_GRID = (0.5, 1.0, 2.0, 4.0)  # inverse regularisation strengths tried for each head
SEARCH_ROWS = 30_000  # above this many examples, C is chosen on a sample of this size
LARGE_SET_FOLDS = 3  # and that choice, and the out-of-fold decisions on every row, use this many folds, not 5


def ignored_columns(features: CommentFeatures) -> dict[str, np.ndarray]:
    """Per label, a mask of the feature columns its head must not learn from.

    Toxicity is about the wording: who wrote it (name, email, url), how long it is, whether it links
    somewhere or whom it mentions must not move the score. (The written corpus happened to hold the "URL"
    and "@USER" placeholders of tweet datasets more often in toxic comments; learning that cost 0.013 of
    ROC-AUC on OLID, whose tweets carry them everywhere.)

    Spam is about promotion, and the hand-written spam is never profane:
    a spam head reading the word-list counts learnt that swearing proves a comment is not spam, which
    real spammers disprove (measured: spam ROC-AUC on YouTube 0.950 -> 0.963 without them). The n-grams of
    swear words still lean that way, more weakly.
    """
    return {"spam": features.lexicon_columns(), "toxicity": features.non_wording_columns()}


@dataclass(frozen=True)
class Scores:
    """Calibrated probabilities for one comment, with the terms that drove each label."""

    spam: float
    toxicity: float
    categories: dict[str, float] = field(default_factory=dict)
    explanations: Mapping[str, list[tuple[str, float]]] = field(default_factory=dict)
    # The spam score without what only says that the comment links somewhere (links, the url field, the link
    # token's n-grams): a reject for spam needs evidence beyond a link.
    spam_without_links: float | None = None

    def as_dict(self) -> dict[str, float]:
        """Headline scores plus per-category toxicity, rounded for display."""
        scores = {"spam": round(self.spam, 4), "toxicity": round(self.toxicity, 4)}
        scores.update({f"toxicity_{name}": round(value, 4) for name, value in self.categories.items()})
        return scores


class Explanations(Mapping[str, list[tuple[str, float]]]):
    """Per label, the terms that pushed its score up, worked out when first read: the service reads them only for
    a label that reaches a threshold, and crediting n-grams to words was a third of scoring a comment."""

    def __init__(self, features: CommentFeatures, indices: np.ndarray, contributions: np.ndarray, comment: str):
        self._explain = (features, indices, contributions, comment)
        self._terms: dict[str, list[tuple[str, float]]] | None = None

    def _all(self) -> dict[str, list[tuple[str, float]]]:
        if self._terms is None:
            features, indices, contributions, comment = self._explain
            # Every label at once: the words an n-gram is credited to are found once for all of them.
            self._terms = dict(zip(LABELS, features.explain_many(indices, contributions, comment), strict=True))
        return self._terms

    def __getitem__(self, label: str) -> list[tuple[str, float]]:
        return self._all()[label]

    def __iter__(self):
        return iter(LABELS)

    def __len__(self) -> int:
        return len(LABELS)

    def __repr__(self) -> str:
        return repr(self._all())


class ProbabilityHead(ClassifierMixin, BaseEstimator):
    """A binary head over 0/1 labels that predicts the more probable class."""

    def predict(self, matrix):
        """0 or 1 per row."""
        return self.classes_[(self.predict_proba(matrix)[:, 1] >= 0.5).astype(int)]


class ConstantHead(ProbabilityHead):
    """The head for a label whose training data has one class only: always that class's rate."""

    def fit(self, matrix, y, sample_weight=None):
        """Remember the rate."""
        self.rate_ = float(np.mean(y))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, matrix):
        """The rate for every row."""
        rows = matrix.shape[0]
        return np.column_stack([np.full(rows, 1 - self.rate_), np.full(rows, self.rate_)])


def _calibration_folds(groups: Sequence[str] | None, labels: np.ndarray, folds: int = 5):
    """Cross-validation folds for calibration: whole sources held out together when there are enough.

    Calibrating on predictions for examples from sources the model did not see makes it honest about
    text unlike its training data; plain folds over a hand-written corpus make it overconfident.
    """
    if groups is None or len(set(groups)) < folds:
        return folds
    splits = list(GroupKFold(n_splits=folds).split(labels, labels, groups))
    if all(len(set(labels[train])) == 2 for train, _ in splits):
        return splits
    return folds


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000)


class CalibratedLinearHead(ProbabilityHead):
    """One logistic regression fitted on all the data, and a sigmoid fitted on its cross-validated decisions.

    For 0/1 labels this is CalibratedClassifierCV(method="sigmoid", ensemble=False), except that fit() accepts the
    out-of-fold decisions when the caller already has them: choosing C computes them for every candidate,
    and recomputing them for the chosen one cost a fifth of the training time. A single set of
    coefficients is what explanations read. The sigmoid is scikit-learn's own Platt calibrator, a private
    class, which is safe because scikit-learn is pinned exactly in pyproject.toml.
    """

    def __init__(self, c: float = 1.0, cv=5):
        self.c = c
        self.cv = cv

    def fit(self, matrix, y, sample_weight=None, out_of_fold_decisions=None):
        """Fit the regression on everything and the sigmoid on out-of-fold decisions (computed if not given)."""
        if out_of_fold_decisions is None:
            out_of_fold_decisions = cross_val_predict(_logistic(self.c), matrix, y, cv=self.cv,
                                                      method="decision_function",
                                                      params={"sample_weight": sample_weight})
        self.estimator_ = _logistic(self.c).fit(matrix, y, sample_weight=sample_weight)
        self.calibrator_ = _SigmoidCalibration().fit(out_of_fold_decisions, y, sample_weight)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, matrix):
        """Calibrated probabilities of (not, is)."""
        positive = self.calibrator_.predict(self.estimator_.decision_function(matrix))
        return np.column_stack([1 - positive, positive])


def _search_rows(rows: int) -> np.ndarray | None:
    """The rows C is chosen on: all of them (None) up to SEARCH_ROWS, else a fixed random sample of that many.

    Choosing C costs 4 candidates x 5 folds of fits. On the written corpus (about 14,000 examples) that is
    affordable and the choice is made on everything, as before; with hundreds of thousands of labels it was
    most of the training time, so above the limit it takes 3 folds of the sample. `make bench-scale` reports
    the time, the C chosen and the out-of-fold ROC-AUC.
    """
    limit = SEARCH_ROWS
    if rows <= limit:
        return None
    return np.sort(np.random.default_rng(0).choice(rows, size=limit, replace=False))


def _choose_c(inputs, y: np.ndarray, cv, sample_weight: np.ndarray | None) -> tuple[float, np.ndarray]:
    """The regularisation strength whose out-of-fold decisions rank best (ROC-AUC), and those decisions.

    No one strength suits every training set: the written corpus wants little regularisation, thousands
    of noisy real labels want more (measured on OLID's train split: C = 0.5 gives test ROC-AUC 0.846
    against 0.825 at C = 4), and the out-of-fold ranking picks the better one in both cases.
    """
    best = None
    for c in C_GRID:
        decision = cross_val_predict(_logistic(c), inputs, y, cv=cv, method="decision_function",
                                     params={"sample_weight": sample_weight})
        auc = roc_auc_score(y, decision, sample_weight=sample_weight)
        if best is None or auc > best[0]:
            best = (auc, c, decision)
    return best[1], best[2]


class ModerationModel:
    """Scores comments for every label. Picklable; one instance is one artifact."""

    def __init__(self, features: CommentFeatures, heads: dict[str, CalibratedLinearHead | ConstantHead],
                 category_head: LogisticRegression | None):
        self.features = features
        self.heads = heads
        self.category_head = category_head
        self._compile()

    def _compile(self) -> None:
        # The fitted heads, flattened into one weight matrix plus sigmoid calibrators, so scoring a
        # request is one small dot product instead of several scikit-learn calls.
        columns, intercepts = [], []
        self._calibration = []
        self._ignored = ignored_columns(self.features)
        for label in LABELS:
            if isinstance(self.heads[label], ConstantHead):
                rate = min(max(self.heads[label].rate_, 1e-4), 1 - 1e-4)
                columns.append(np.zeros(self.features.offsets_[-1]))
                intercepts.append(np.log(rate / (1 - rate)))
                self._calibration.append((-1.0, 0.0))  # the identity: p = sigmoid(intercept)
                continue
            head = self.heads[label]
            columns.append(head.estimator_.coef_[0] * ~self._ignored[label])
            intercepts.append(head.estimator_.intercept_[0])
            self._calibration.append((head.calibrator_.a_, head.calibrator_.b_))
        self._categories: tuple[str, ...] = ()
        if self.category_head is not None:
            self._categories = tuple(str(name) for name in self.category_head.classes_)
            coef = self.category_head.coef_
            if len(self._categories) == 2:  # scikit-learn keeps one row for two classes
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercepts.extend([-self.category_head.intercept_[0] / 2, self.category_head.intercept_[0] / 2])
            else:
                intercepts.extend(self.category_head.intercept_)
            columns.extend(row * ~self._ignored["toxicity"] for row in coef)
        # One more column: the spam weights of the link-only columns, subtracted to score spam without them.
        link_weights = columns[0] * self.features.link_columns()
        columns.append(link_weights)
        self._weights = np.ascontiguousarray(np.column_stack(columns))
        self._intercepts = np.array(intercepts)
        self._slopes = np.array([a for a, _ in self._calibration], dtype=np.float64)
        self._offsets = np.array([b for _, b in self._calibration], dtype=np.float64)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._compile()

    def __getstate__(self):
        # Only what scoring needs: out_of_fold_probabilities and chosen_c belong to the training run.
        return {k: v for k, v in self.__dict__.items() if k in ("features", "heads", "category_head")}

    @classmethod
    def fit(cls, examples: Sequence[Mapping[str, str]], labels: Mapping[str, np.ndarray],
            categories: Sequence[str | None], sample_weight: np.ndarray | None = None,
            groups: Sequence[str] | None = None) -> ModerationModel:
        """Fit shared features, one calibrated head per label and a category head on toxic examples.

        A label of -1 means the example says nothing about that label (a site's "not spam" report says nothing
        about toxicity): that head does not see the example. Each head's regularisation is chosen on out-of-fold
        predictions; those predictions, calibrated, are kept in out_of_fold_probabilities (NaN where the label
        is unknown) for choosing thresholds.
        """
        items = [prepare(e) for e in examples]  # normalised once for fitting and transforming
        features = CommentFeatures()
        matrix = features.fit_transform(items)
        ignored = ignored_columns(features)
        heads, out_of_fold, chosen_c = {}, {}, {}
        for label in LABELS:
            known = np.flatnonzero(labels[label] >= 0)
            inputs = ColumnMask(ignored[label]).transform(matrix)[known]
            y = labels[label][known]
            weights = None if sample_weight is None else sample_weight[known]
            out_of_fold[label] = np.full(len(examples), np.nan)
            if len(set(y.tolist())) < 2:
                heads[label] = ConstantHead().fit(inputs, y)
                out_of_fold[label][known] = heads[label].predict_proba(inputs)[:, 1]
                continue
            known_groups = None if groups is None else [groups[i] for i in known]
            search = _search_rows(len(y))
            cv = _calibration_folds(known_groups, y, folds=5 if search is None else LARGE_SET_FOLDS)
            if search is None:
                chosen_c[label], decision = _choose_c(inputs, y, cv, weights)
            else:
                # Many labels: choose C on a sample, then compute the out-of-fold decisions of that C alone on
                # every row. Both in 3 folds (12 fits on 20,000 rows to choose, 3 on two thirds of every row),
                # not 5: with that many rows a third is plenty to rank and calibrate on (`make bench-scale`).
                chosen_c[label], _ = _choose_c(
                    inputs[search], y[search],
                    _calibration_folds(None if known_groups is None else [known_groups[i] for i in search],
                                       y[search], folds=LARGE_SET_FOLDS),
                    None if weights is None else weights[search])
                decision = cross_val_predict(_logistic(chosen_c[label]), inputs, y, cv=cv,
                                             method="decision_function", params={"sample_weight": weights})
            heads[label] = CalibratedLinearHead(chosen_c[label], cv).fit(
                inputs, y, sample_weight=weights, out_of_fold_decisions=decision)
            out_of_fold[label][known] = heads[label].calibrator_.predict(decision)
        toxic_rows = [i for i, cat in enumerate(categories) if cat]
        category_head = None
        if len({categories[i] for i in toxic_rows}) >= 2:
            category_head = LogisticRegression(C=chosen_c.get("toxicity", max(C_GRID)), max_iter=2000)
            weights = None if sample_weight is None else sample_weight[toxic_rows]
            text_matrix = ColumnMask(ignored["toxicity"]).transform(matrix)
            category_head.fit(text_matrix[toxic_rows], [categories[i] for i in toxic_rows], sample_weight=weights)
        model = cls(features, heads, category_head)
        model.out_of_fold_probabilities = out_of_fold
        model.chosen_c = chosen_c
        return model

    def pipeline(self, label: str) -> Pipeline:
        """A scikit-learn Pipeline for one label, for use outside the service (notebooks, batch jobs)."""
        return Pipeline([("features", self.features),
                         ("ignored_columns", ColumnMask(self._ignored[label])),
                         ("classifier", self.heads[label])])

    def probabilities(self, examples: Sequence[Mapping[str, str]]) -> dict[str, np.ndarray]:
        """Positive-class probability per label for many examples (vectorised; for evaluation)."""
        matrix = self.features.transform(examples)
        return {label: self.heads[label].predict_proba(ColumnMask(self._ignored[label]).transform(matrix))[:, 1]
                for label in LABELS}

    def score_prepared(self, items: Sequence[PreparedText], explain: bool = True) -> list[Scores]:
        """Scores (and, if asked, explanations) for each prepared comment (model.prepare), in order."""
        results = []
        n_labels = len(LABELS)
        for indices, values, text in self.features.rows(items):
            weights = self._weights[indices]
            products = values @ weights
            logits = products[:-1] + self._intercepts
            calibrated = 1 / (1 + np.exp(self._slopes * logits[:n_labels] + self._offsets))
            probabilities = dict(zip(LABELS, calibrated.tolist(), strict=True))
            spam_slope, spam_offset = self._calibration[0]
            without_links = 1 / (1 + np.exp(spam_slope * (logits[0] - products[-1]) + spam_offset))
            categories = {}
            if self._categories:
                shares = np.exp(logits[n_labels:] - logits[n_labels:].max())
                shares /= shares.sum()
                categories = {name: probabilities["toxicity"] * float(share)
                              for name, share in zip(self._categories, shares, strict=True)}
            explanations = {}
            if explain:
                contributions = weights[:, :n_labels].T * values  # one row per label
                explanations = Explanations(self.features, indices, contributions, text)
            results.append(Scores(spam=probabilities["spam"], toxicity=probabilities["toxicity"],
                                  categories=categories, explanations=explanations,
                                  spam_without_links=float(without_links)))
        return results

    def score_many(self, examples: Sequence[Mapping[str, str]], explain: bool = True) -> list[Scores]:
        """Scores (and, if asked, explanations) for each example's fields, in order."""
        return self.score_prepared([prepare(e) for e in examples], explain=explain)

    def score(self, example: Mapping[str, str], explain: bool = True) -> Scores:
        """Scores for one example."""
        return self.score_many([example], explain=explain)[0]
