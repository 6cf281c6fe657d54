"""Retraining from the corpus plus every label, and the gate a new model must pass to be deployed."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import roc_auc_score

from model import LABELS, Example, LoadedModel, ModelLoadError, ModerationModel, load_training_data, train_model
from model.training import label_vector
from moderation.instance import model_store
from moderation.policy import Label, resolve_thresholds
from moderation.schemas import Provenance
from moderation.store import Database
from moderation.store import labels as labels_repo
from moderation.store.labels import StoredLabel

log = logging.getLogger(__name__)
FROZEN_SHARE = 0.1
# A "spam" or "toxic" report is disputed when the serving model scored the text at most this.
SURELY_FINE = 0.1
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


@dataclass(frozen=True)
class LabelWeights:
    """How much each kind of label counts in training, against 1 for a team corpus example."""

    moderator: float = 5.0
    report: float = 1.0
    imported: float = 1.0
    # One key's reports together weigh at most this share of the corpus: a site that floods reports moves the
    # model no further than a site that reports what its moderators see.
    report_key_share: float = 0.02

    @classmethod
    def from_settings(cls, settings: Mapping) -> LabelWeights:
        """The weights the settings give."""
        return cls(moderator=settings["LABEL_WEIGHT"], report=settings["REPORT_WEIGHT"],
                   imported=settings["IMPORT_WEIGHT"], report_key_share=settings["REPORT_KEY_SHARE"])


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _example(label: StoredLabel, weight: float) -> Example:
    return Example(comment=label.comment, name=label.name, email=label.email, url=label.url,
                   spam=None if label.spam is None else int(label.spam),
                   toxic=None if label.toxic is None else int(label.toxic),
                   category=label.category if label.toxic else None, weight=weight,
                   source=f"{label.provenance}/{label.source}")


def _disputed(votes: list[StoredLabel], judge: LoadedModel) -> list[bool]:
    """Which reports contradict the judge (the serving model) on a label they speak to: "not spam" or "not toxic"
    for a text it would hold or reject, or "spam" or "toxic" for one it is sure is fine."""
    probabilities = judge.model.probabilities([{"comment": v.comment, "name": v.name, "email": v.email,
                                                "url": v.url} for v in votes])
    holds = resolve_thresholds(judge.manifest.get("thresholds"), None)
    disputed = []
    for i, vote in enumerate(votes):
        said = {Label.SPAM: vote.spam, Label.TOXICITY: vote.toxic}
        disputed.append(any(
            (said[label] is False and probabilities[label][i] >= holds[label].hold_at)
            or (said[label] is True and probabilities[label][i] <= SURELY_FINE)
            for label in LABELS))
    return disputed


def labelled_examples(labels: list[StoredLabel], corpus_texts: set[str], corpus_weight: float,
                      weights: LabelWeights, judge: LoadedModel | None = None,
                      ) -> tuple[list[Example], list[Example], dict[str, int]]:
    """Stored labels as (training examples, held-out evaluation examples, counts by provenance).

    Precedence, per text: a moderator's label (the latest) wins over the team corpus, which wins over sites'
    reports, which win over imports. Each key's report on a text is one vote, and one key's reports together
    weigh at most `report_key_share` of the corpus. A report that contradicts the judge (the serving model) trains
    nothing until a moderator agrees: a site key cannot teach the model to let through what it stops.
    Only moderators' labels are ever held out for evaluation.
    """
    moderated: dict[str, StoredLabel] = {}
    reported: dict[str, dict[str, StoredLabel]] = defaultdict(dict)
    imported: dict[str, StoredLabel] = {}
    for label in labels:
        key = _key(label.comment)
        if label.provenance is Provenance.MODERATOR:
            moderated[key] = label
        elif label.provenance is Provenance.REPORT:
            reported[key][label.created_by] = label
        else:
            imported[key] = label
    outranked = set(moderated) | corpus_texts
    votes = [label for key, by_key in reported.items() if key not in outranked for label in by_key.values()]
    disputed = _disputed(votes, judge) if judge is not None and votes else [False] * len(votes)
    votes, held_back = [v for v, d in zip(votes, disputed, strict=True) if not d], sum(disputed)
    per_key = Counter(label.created_by for label in votes)
    cap = weights.report_key_share * corpus_weight
    train, evaluation = [], []
    for label in moderated.values():
        (evaluation if label.evaluation else train).append(_example(label, weights.moderator))
    for label in votes:
        total = per_key[label.created_by] * weights.report
        weight = weights.report * min(1.0, cap / total) if total > 0 else 0.0
        if weight > 0:  # a weight of 0 (MODERATION_REPORT_WEIGHT=0) leaves reports out of training
            train.append(_example(label, weight))
    imports = [label for key, label in imported.items() if key not in outranked and key not in reported]
    train.extend(_example(label, weights.imported) for label in imports)
    counts = {"moderator": len(moderated) - len(evaluation), "moderator_held_out": len(evaluation),
              "reports": len(votes),
              "reports_disputed": held_back,
              "reporting_keys": len(per_key), "imports": len(imports)}
    return train, evaluation, counts


def gather(training_dir: str | Path, database: Database | None, weights: LabelWeights | None = None,
           judge: LoadedModel | None = None) -> TrainingSet:
    """The corpus (minus its frozen part) plus the stored labels, each weighted as `labelled_examples` says.

    The evaluation set is fixed: the frozen part of the corpus, which no model trains on, plus the held-out
    share of moderators' labels. No report or import ever decides what the promotion gate judges on.
    """
    weights = weights or LabelWeights()
    corpus = load_training_data(Path(training_dir))
    frozen = [e for e in corpus if is_evaluation_text(e.comment, FROZEN_SHARE)]
    trainable = [e for e in corpus if not is_evaluation_text(e.comment, FROZEN_SHARE)]
    stored = []
    if database is not None:
        with database.reading() as connection:
            stored = labels_repo.every(connection)
    labelled, held_out, counts = labelled_examples(
        stored, {_key(e.comment) for e in corpus}, sum(e.weight for e in trainable), weights, judge)
    overridden = {_key(e.comment) for e in labelled + held_out if e.source.startswith(Provenance.MODERATOR)}
    trainable = [e for e in trainable if _key(e.comment) not in overridden]
    sources = {"corpus": len(trainable), "corpus_frozen": len(frozen), **counts}
    return TrainingSet(train=trainable + labelled, evaluation=frozen + held_out, sources=sources)


def roc_auc_by_label(model: ModerationModel, examples: list[Example]) -> dict[str, float | None]:
    """ROC-AUC of each label's score on the examples that know it (None where a label has one class only)."""
    probabilities = model.probabilities([e.fields() for e in examples])
    result = {}
    for label in LABELS:
        y = label_vector(examples, label)
        known = y >= 0
        y, p = y[known], probabilities[label][known]
        result[label] = round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None
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
    models = model_store(settings)
    try:
        active = models.load_active()
    except ModelLoadError:
        active = None
    training = gather(settings["TRAINING_DATA_DIR"], database, LabelWeights.from_settings(settings),
                      judge=active)
    result = train_model(training.train)
    gate = compare(result.model, active.model if active else None, training.evaluation,
                   settings["PROMOTION_TOLERANCE"])
    manifest = models.save(result, sources=training.sources, gate=gate)
    activated = False
    if (activate and gate["promote"]) or active is None:
        models.activate(manifest["version"])
        activated = True
    return {"version": manifest["version"], "activated": activated, "gate": gate, "sources": training.sources,
            "metrics": manifest["metrics"], "thresholds": manifest["thresholds"],
            "active_version": manifest["version"] if activated else (active.version if active else None),
            "previous_version": active.version if active else None}

