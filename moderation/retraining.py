"""Retraining from the corpus plus every label, and the gate a new model must pass to be deployed."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import roc_auc_score

from model import LABELS, Example, ModelLoadError, ModelStore, ModerationModel, load_training_data, train_model
from model.training import label_vector
from moderation.store import Database
from moderation.store import labels as labels_repo

log = logging.getLogger(__name__)
FROZEN_SHARE = 0.1
EVALUATION_SHARE = 0.2


def is_evaluation_text(comment: str, share: float = EVALUATION_SHARE) -> bool:
    """Whether a labelled text belongs to a held-out evaluation set; a stable hash decides, so the same
    text is held out in every training run."""
    digest = hashlib.sha256(" ".join(comment.lower().split()).encode()).digest()
    return int.from_bytes(digest[:4], "big") < share * 2**32


@dataclass
class TrainingSet:
    """What a new model learns from and what every model is judged on."""

    train: list[Example]
    evaluation: list[Example]
    sources: dict[str, int]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def labelled_examples(database: Database, weight: float) -> tuple[list[Example], list[Example]]:
    """Every stored label as (training examples, held-out evaluation examples)."""
    with database.reading() as connection:
        stored = labels_repo.every(connection)
    train, evaluation = [], []
    for label in stored:
        example = Example(comment=label.comment, name=label.name, email=label.email, url=label.url,
                          spam=int(label.spam), toxic=int(label.toxic),
                          category=label.category if label.toxic else None,
                          weight=weight, source=f"labels/{label.source}")
        (evaluation if label.evaluation else train).append(example)
    return train, evaluation


def gather(training_dir: str | Path, database: Database | None, label_weight: float) -> TrainingSet:
    """The corpus (minus its frozen part), plus labels weighted label_weight; labels win where texts collide.

    The evaluation set is fixed: the frozen part of the corpus, which no model trains on, plus the
    held-out share of the labels.
    """
    corpus = load_training_data(Path(training_dir))
    frozen = [e for e in corpus if is_evaluation_text(e.comment, FROZEN_SHARE)]
    trainable = [e for e in corpus if not is_evaluation_text(e.comment, FROZEN_SHARE)]
    labelled, labelled_eval = labelled_examples(database, label_weight) if database else ([], [])
    overridden = {_key(e.comment) for e in labelled + labelled_eval}
    trainable = [e for e in trainable if _key(e.comment) not in overridden]
    sources = {"corpus": len(trainable), "corpus_frozen": len(frozen), "labels": len(labelled),
               "labels_held_out": len(labelled_eval)}
    return TrainingSet(train=trainable + labelled, evaluation=frozen + labelled_eval, sources=sources)


def roc_auc_by_label(model: ModerationModel, examples: list[Example]) -> dict[str, float | None]:
    """ROC-AUC of each label's score on examples (None where a label has one class only)."""
    probabilities = model.probabilities([e.fields() for e in examples])
    result = {}
    for label in LABELS:
        y = label_vector(examples, label)
        result[label] = round(float(roc_auc_score(y, probabilities[label])), 4) if 0 < y.sum() < len(y) else None
    return result


def compare(candidate: ModerationModel, active: ModerationModel | None, examples: list[Example],
            tolerance: float) -> dict:
    """The promotion gate: the candidate may be deployed only if no label's ROC-AUC drops by more than
    tolerance against the active model on the same fixed evaluation set."""
    new = roc_auc_by_label(candidate, examples)
    if active is None:
        return {"promote": True, "reason": "no active model", "candidate": new, "active": None,
                "evaluation_examples": len(examples)}
    old = roc_auc_by_label(active, examples)
    worse = [label for label in LABELS
             if new[label] is not None and old[label] is not None and new[label] < old[label] - tolerance]
    reason = (f"worse than the active model on {', '.join(worse)}" if worse
              else "not worse than the active model on any label")
    return {"promote": not worse, "reason": reason, "candidate": new, "active": old, "tolerance": tolerance,
            "evaluation_examples": len(examples)}


def train_new_version(settings: dict, database: Database | None, activate: bool) -> dict:
    """Train on the corpus and labels, store the version, and activate it if asked and the gate allows.

    The first version of an empty model store is always activated: a service needs a model.
    """
    models = ModelStore(settings["MODEL_DIR"])
    training = gather(settings["TRAINING_DATA_DIR"], database, settings["LABEL_WEIGHT"])
    result = train_model(training.train)
    try:
        active = models.load_active()
    except ModelLoadError:
        active = None
    gate = compare(result.model, active.model if active else None, training.evaluation,
                   settings["PROMOTION_TOLERANCE"])
    manifest = models.save(result, sources=training.sources, gate=gate)
    activated = False
    if (activate and gate["promote"]) or active is None:
        models.activate(manifest["version"])
        activated = True
    return {"version": manifest["version"], "activated": activated, "gate": gate, "sources": training.sources,
            "metrics": manifest["metrics"], "thresholds": manifest["thresholds"],
            "active_version": manifest["version"] if activated else (active.version if active else None)}
