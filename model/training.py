"""Training on every example, with out-of-fold measurement and precision-targeted thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from model.augment import augment
from model.classifier import LABELS, ModerationModel
from model.corpus import Example, examples_hash

# The precision each action must reach on out-of-fold predictions: a hold costs a moderator a look,
# a reject silently removes a reader's words, so it has to be right far more often.
HOLD_PRECISION = 0.95
REJECT_PRECISION = 0.99
MIN_HOLD_AT = 0.50


@dataclass
class TrainingResult:
    """A fitted model plus what the manifest records about how it was made."""

    model: ModerationModel
    metrics: dict
    thresholds: dict[str, dict[str, float]]
    data: dict
    out_of_fold: dict[str, tuple[np.ndarray, np.ndarray]]  # per label: (labels, out-of-fold probabilities)


def label_vector(examples: Sequence[Example], label: str) -> np.ndarray:
    """0/1 targets for one label; -1 where an example says nothing about it."""
    attribute = "spam" if label == "spam" else "toxic"
    return np.array([-1 if getattr(e, attribute) is None else getattr(e, attribute) for e in examples], dtype=int)


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    if len(set(y.tolist())) < 2:
        return {"examples": len(y), "positives": int(y.sum())}
    return {
        "examples": len(y),
        "positives": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
    }


def threshold_for_precision(y: np.ndarray, p: np.ndarray, precision: float, floor: float) -> float:
    """The lowest score whose decisions reach the target precision on (y, p)."""
    if len(set(y.tolist())) < 2:
        return 0.99
    precisions, _, thresholds = precision_recall_curve(y, p)
    reaching = [t for prec, t in zip(precisions[:-1], thresholds, strict=True) if prec >= precision]
    chosen = min(reaching) if reaching else 0.99
    return round(float(min(max(chosen, floor), 0.99)), 4)


def _report(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float] | None) -> dict:
    report = _metrics(y, p)
    if thresholds and y.sum():
        for action in ("hold_at", "reject_at"):
            flagged = p >= thresholds[action]
            report[f"recall_{action}"] = round(float(flagged[y == 1].mean()), 4)
            if flagged.any():
                report[f"precision_{action}"] = round(float(y[flagged].mean()), 4)
    return report


def train_model(examples: Sequence[Example], *, seed: int = 0) -> TrainingResult:
    """Fit on every example; measure, and pick thresholds, on out-of-fold predictions.

    The out-of-fold predictions hold whole sources out where there are enough of them, so the figures
    say how the model does on text unlike what it learned from. A random validation split would share
    its sources' style with the training data and make every cut look precise, and it would cost the
    model a fifth of its examples.
    """
    examples = list(examples)
    # Only the hand-written corpus is dressed up: labels and imported data already have real comments' style.
    variants = augment([e for e in examples if e.source.startswith("training_data/")], seed=seed)
    fitted = examples + variants
    model = ModerationModel.fit(
        [e.fields() for e in fitted],
        {label: label_vector(fitted, label) for label in LABELS},
        [e.category if e.toxic else None for e in fitted],
        sample_weight=np.array([e.weight for e in fitted], dtype=float),
        groups=[e.source.split("#", 1)[0] for e in fitted],
    )
    # Thresholds and figures come from the examples themselves: the variants only help the fit.
    original = np.arange(len(fitted)) < len(examples)
    thresholds, out_of_fold = {}, {}
    for label in LABELS:
        y, p = label_vector(examples, label), model.out_of_fold_probabilities[label][original]
        y, p = y[y >= 0], p[y >= 0]
        hold = threshold_for_precision(y, p, HOLD_PRECISION, MIN_HOLD_AT)
        reject = threshold_for_precision(y, p, REJECT_PRECISION, hold)
        thresholds[label] = {"hold_at": hold, "reject_at": max(reject, hold),
                             "hold_precision_target": HOLD_PRECISION,
                             "reject_precision_target": REJECT_PRECISION}
        out_of_fold[label] = (y, p)
    metrics = {"out_of_fold": {label: _report(y, p, thresholds[label]) for label, (y, p) in out_of_fold.items()},
               "regularization_c": model.chosen_c}
    data = {"sha256": examples_hash(examples), "examples": len(examples), "augmented_variants": len(variants),
            "sources": sorted({e.source for e in examples})}
    return TrainingResult(model=model, metrics=metrics, thresholds=thresholds, data=data, out_of_fold=out_of_fold)
