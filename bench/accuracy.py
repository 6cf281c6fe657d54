"""Accuracy on the real datasets in ../shared/datasets, next to alt-profanity-check, in one run.

    make bench-accuracy         # or: .venv/bin/python -m bench.accuracy [--skip-trained] [--datasets olid,davidson]

(a) the shipped default model (trained only on training_data/) on each dataset;
(b) the same training pipeline trained on each dataset's own train split and tested on its test split
    (cross-video for YouTube spam, plus the published 10-fold protocol for comparison; the official test set
    for OLID);
and alt-profanity-check's scores on exactly the same comments. For Civil Comments it also prints how well one
crowd worker's vote predicts the majority of the others, which says how noisy its labels are.

The real datasets say nothing about threats or identity attacks on their own, so it also prints the share of
bench/probe_comments.jsonl that the default policy holds or rejects, per kind: comments written for this
benchmark (everyday, identity-neutral and harshly civil comments; insults, threats and identity attacks), which
no model trains on. It runs without ../shared/datasets.

Decision rates use the full policy (both labels and their thresholds): the share of positives held or
rejected, and the share of negatives accepted. Nothing trained here is saved.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from bench import datasets
from bench.datasets import Dataset, Item
from model import Example, LoadedModel, ModelLoadError, prepare, train_model
from model.corpus import read_jsonl
from model.lexicon import lexicon_words
from model.training import TrainingResult
from moderation import settings
from moderation.instance import model_store, secret_key
from moderation.policy import MILD_SWEARING, Action, casual_swearing, decide, resolve_thresholds

RESULTS = Path(__file__).resolve().parent / "results"
PROBES = Path(__file__).resolve().parent / "probe_comments.jsonl"
# Civil comments that swear without insulting anyone, written for the profanity setting's figures (never trained on).
SWEARING_PROBES = Path(__file__).resolve().parent / "swearing_probes.jsonl"
PROFANITY_VALUES = ("hold", "allow", "reject")


def default_model() -> LoadedModel:
    """The model `make run` serves: the instance's active one, which `make model` (`moderation init`) trains.

    Benchmarks never train or activate a model themselves: one trained here would differ from the served one
    (no moderator labels) and would then be served."""
    config = {**settings.from_env(), "SECRET_KEY": secret_key(settings.instance_path())}
    store = model_store(config)
    try:
        return store.load_active()
    except ModelLoadError as error:
        raise SystemExit(f"{error}; run `make model` first") from error


def decisions(model, thresholds: dict, items: list[Item]) -> tuple[np.ndarray, list[str]]:
    """The relevant scores per label and the policy's decision for each item, via the service's own path."""
    scored = model.score_many([item.fields() for item in items], explain=False)
    return scored, [decide(s, thresholds, "bench").decision for s in scored]


def report(label: str, items: list[Item], scored, decided: list[str]) -> dict:
    """ROC-AUC, PR-AUC and decision rates for one model on one set of items."""
    y = np.array([item.label for item in items])
    p = np.array([getattr(s, label) for s in scored])
    accepted = np.array([d == Action.ACCEPT for d in decided])
    result = {"n": len(y), "positives": int(y.sum()),
              "roc_auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
              "pr_auc": float(average_precision_score(y, p)) if y.sum() else None,
              "positives_held_or_rejected": float((~accepted[y == 1]).mean()) if y.sum() else None,
              "negatives_accepted": float(accepted[y == 0].mean()) if (y == 0).any() else None,
              "negatives": int((y == 0).sum()), "negatives_accepted_count": int(accepted[y == 0].sum())}
    if 0 < y.sum() < len(y):
        # The operating point a site would pick to accept 95% of its good comments: what share of the bad
        # ones does the score then catch?
        cut = float(np.quantile(p[y == 0], 0.95))
        result["positives_caught_at_95_negatives_accepted"] = float((p[y == 1] > cut).mean())
    return result


def _swears(normalized: str) -> bool:
    return any(not word.startswith(MILD_SWEARING) for word in lexicon_words(normalized, "lexicon_profanity"))


def profanity_rates(model, thresholds: dict, sources: dict[str, list[Item]]) -> dict[str, dict]:
    """Per source of labelled comments, among those that swear (a word of the profanity list, mild ones aside):
    how many are civil and toxic, how many the policy reads as casual swearing, and under each value of the
    profanity setting the share of the civil ones accepted and of the toxic ones held or rejected."""
    rates = {}
    for name, items in sources.items():
        normalized = [prepare(item.fields()).normalized for item in items]
        swearing_items = [(item, text) for item, text in zip(items, normalized, strict=True) if _swears(text)]
        scored = model.score_many([item.fields() for item, _ in swearing_items], explain=False)
        found = [(item, score, casual_swearing(text, score))
                 for (item, text), score in zip(swearing_items, scored, strict=True)]
        entry = {"n": len(items), "civil_swearing": sum(1 for item, _, _ in found if not item.label),
                 "toxic_swearing": sum(1 for item, _, _ in found if item.label),
                 "civil_read_as_casual": sum(1 for item, _, casual in found if casual and not item.label),
                 "toxic_read_as_casual": sum(1 for item, _, casual in found if casual and item.label)}
        for value in PROFANITY_VALUES:
            decided = [(item.label, decide(score, thresholds, "bench", swearing=swearing, profanity=value).decision)
                       for item, score, swearing in found]
            civil = [d == Action.ACCEPT for label, d in decided if not label]
            toxic = [d != Action.ACCEPT for label, d in decided if label]
            entry[value] = {"civil_accepted": float(np.mean(civil)) if civil else None,
                            "toxic_held_or_rejected": float(np.mean(toxic)) if toxic else None}
        rates[name] = entry
    return rates


def print_profanity(rates: dict[str, dict]) -> None:
    """The profanity setting's table."""
    print("profanity setting, on the comments that swear (mild words aside): civil ones accepted / toxic ones held "
          "or rejected, under each value; 'casual' counts those the policy reads as swearing that insults no one")
    for name, r in rates.items():
        cells = "  ".join(f"{value}: {fmt(r[value]['civil_accepted'])} / {fmt(r[value]['toxic_held_or_rejected'])}"
                          for value in PROFANITY_VALUES)
        print(f"  {name:24} civil {r['civil_swearing']:5d} ({r['civil_read_as_casual']:4d} casual), toxic "
              f"{r['toxic_swearing']:5d} ({r['toxic_read_as_casual']:4d} casual)  {cells}")


def profanity_check_scores(items: list[Item]) -> np.ndarray | None:
    """alt-profanity-check's probability for each comment, or None if it is not installed."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    return predict_prob([item.comment for item in items])


def roc_auc_on(model, test: list[Item], label: str) -> float:
    """ROC-AUC of one label's score (a ModerationModel's) on the test items."""
    y = np.array([i.label for i in test])
    return float(roc_auc_score(y, model.probabilities([i.fields() for i in test])[label]))


def to_examples(items: list[Item], label: str) -> list[Example]:
    """Dataset items as training examples for one label."""
    return [Example(comment=i.comment, name=i.name, spam=i.label if label == "spam" else 0,
                    toxic=i.label if label == "toxicity" else 0, category="other" if label == "toxicity"
                    and i.label else None, source="bench") for i in items]


def best_threshold(y: np.ndarray, p: np.ndarray, metric) -> float:
    """The score cut-off that maximises metric on (y, p)."""
    candidates = np.unique(np.quantile(p, np.linspace(0.01, 0.99, 99)))
    return float(max(candidates, key=lambda t: metric(y, (p >= t).astype(int))))


def train_and_test(train: list[Item], test: list[Item], label: str) -> dict:
    """(b): fit the training pipeline on train, tune the cut-off on its out-of-fold predictions, measure on test."""
    result: TrainingResult = train_model(to_examples(train, label))
    model = result.model
    thresholds = resolve_thresholds(result.thresholds, None)
    y_oof, p_oof = result.out_of_fold[label]
    scored, decided = decisions(model, thresholds, test)
    y = np.array([i.label for i in test])
    p = np.array([getattr(s, label) for s in scored])
    summary = report(label, test, scored, decided)
    macro = best_threshold(y_oof, p_oof, lambda a, b: f1_score(a, b, average="macro"))
    summary.update({
        "accuracy_at_0.5": float(accuracy_score(y, p >= 0.5)),
        "macro_f1_at_0.5": float(f1_score(y, p >= 0.5, average="macro")),
        "macro_f1_tuned": float(f1_score(y, p >= macro, average="macro")),
        "accuracy_tuned": float(accuracy_score(y, p >= best_threshold(y_oof, p_oof, accuracy_score))),
    })
    return summary


def mixed_folds_accuracy(items: list[Item], label: str, folds: int = 10) -> float:
    """Accuracy at 0.5 of the pipeline under stratified k-fold over all items mixed: the protocol of published
    YouTube Spam Collection results, easier than cross-video because every video is seen in training."""
    y = np.array([item.label for item in items])
    correct = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(items, y):
        model = train_model(to_examples([items[i] for i in train], label)).model
        p = model.probabilities([items[i].fields() for i in test])[label]
        correct += int(((p >= 0.5) == y[test]).sum())
    return correct / len(items)


def probe_rates(model, thresholds: dict) -> dict[str, dict]:
    """Per kind of probe comment: how many there are, whether they are toxic, and the share held or rejected."""
    probes = [record for _, record in read_jsonl(PROBES)]
    _, decided = decisions(model, thresholds, [Item(comment=p["comment"], label=p["toxic"]) for p in probes])
    rates: dict[str, dict] = {}
    for probe, decision in zip(probes, decided, strict=True):
        kind = rates.setdefault(probe["kind"], {"toxic": probe["toxic"], "n": 0, "flagged": 0})
        kind["n"] += 1
        kind["flagged"] += decision != Action.ACCEPT
    return {kind: {**r, "held_or_rejected": r["flagged"] / r["n"]} for kind, r in rates.items()}


def _pooled(pairs) -> tuple[int, int]:
    """(accepted, total) summed over (accepted, total) pairs."""
    pairs = list(pairs)
    return sum(a for a, _ in pairs), sum(t for _, t in pairs)


def evaluation_items(dataset: Dataset) -> list[Item]:
    """What the default model is measured on: the official test set for OLID, everything elsewhere."""
    return dataset.test if dataset.name == "olid" else dataset.everything()


def fmt(value) -> str:
    """A figure for the table."""
    return "   -  " if value is None else f"{value:6.3f}"


def main() -> int:
    """Run every available dataset and print (and save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-trained", action="store_true", help="only the default model, not (b)")
    parser.add_argument("--datasets", help="comma-separated subset of " + ",".join(datasets.NAMES))
    args = parser.parse_args()
    loaded = default_model()
    thresholds = resolve_thresholds(loaded.manifest.get("thresholds"), settings.from_env()["THRESHOLDS"])
    print(f"default model {loaded.version}; thresholds "
          + ", ".join(f"{k} hold {v.hold_at:.3f} reject {v.reject_at:.3f}" for k, v in thresholds.items()))
    results = {"model_version": loaded.version, "probes": probe_rates(loaded.model, thresholds), "datasets": {}}
    print(f"written probes ({PROBES.name}, never trained on), share the default policy holds or rejects: "
          + ", ".join(f"{kind} ({'toxic' if r['toxic'] else 'civil'}) {r['flagged']}/{r['n']}"
                      for kind, r in results["probes"].items()))
    swearing_sources = {"written swearing probes": [Item(comment=r["comment"], label=r["toxic"])
                                                    for _, r in read_jsonl(SWEARING_PROBES)]}
    if not datasets.available():
        results["profanity"] = profanity_rates(loaded.model, thresholds, swearing_sources)
        print_profanity(results["profanity"])
        print(f"bench-accuracy: no datasets at {datasets.DATASETS_DIR}, so no dataset figures")
        return save(results)
    wanted = set(args.datasets.split(",")) if args.datasets else None
    clean: dict[str, tuple[int, int]] = {}  # dataset -> (negatives accepted, negatives)
    print(f"{'dataset':16} {'score':9} {'model':22} {'n':>6} {'ROC-AUC':>7} {'PR-AUC':>7} {'pos flag':>8} "
          f"{'neg acc':>8}")
    for dataset in datasets.load_all():
        if wanted and dataset.name not in wanted:
            continue
        started = time.perf_counter()
        items = evaluation_items(dataset)
        scored, decided = decisions(loaded.model, thresholds, items)
        ours = report(dataset.label, items, scored, decided)
        entry = {"label": dataset.label, "description": dataset.description, "default_model": ours}
        clean[dataset.name] = (ours["negatives_accepted_count"], ours["negatives"])
        # Each dataset labels one of the two scores; a negative held for the other one may be rightly held
        # (a profane YouTube comment that is not spam), and the dataset cannot say.
        ours["negatives_flagged_for_the_other_label"] = sum(
            1 for item, score, decision in zip(items, scored, decided, strict=True)
            if item.label == 0 and decision != Action.ACCEPT
            and getattr(score, dataset.label) < thresholds[dataset.label].hold_at)
        rows = [("default model", ours)]
        apc = profanity_check_scores(items)
        if apc is not None:
            y = np.array([i.label for i in items])
            entry["alt_profanity_check"] = {"roc_auc": float(roc_auc_score(y, apc)),
                                            "pr_auc": float(average_precision_score(y, apc))}
            rows.append(("alt-profanity-check", {**entry["alt_profanity_check"],
                                                 "n": len(items), "positives_held_or_rejected": None,
                                                 "negatives_accepted": None}))
        if not args.skip_trained:
            if dataset.folds:
                folds = [train_and_test(train, test, dataset.label) for train, test in dataset.folds]
                trained = {key: float(np.mean([f[key] for f in folds])) for key in folds[0]
                           if isinstance(folds[0][key], float)}
                trained["n"] = sum(f["n"] for f in folds)
                trained["folds"] = folds
                trained["mixed_10_fold_accuracy"] = mixed_folds_accuracy(dataset.everything(), dataset.label)
                entry["trained_on_dataset"] = trained
                rows.append(("trained (cross-video)", trained))
            elif dataset.train:
                entry["trained_on_dataset"] = train_and_test(dataset.train, dataset.test, dataset.label)
                rows.append(("trained on its train", entry["trained_on_dataset"]))
        for name, figures in rows:
            print(f"{dataset.name:16} {dataset.label:9} {name:22} {figures['n']:6d} {fmt(figures['roc_auc']):>7} "
                  f"{fmt(figures['pr_auc']):>7} {fmt(figures.get('positives_held_or_rejected')):>8} "
                  f"{fmt(figures.get('negatives_accepted')):>8}")
        if dataset.name == "civil-comments" and (agreement := datasets.civil_comments_worker_agreement()):
            entry["one_worker_vs_the_others_roc_auc"] = agreement
            print(f"{'':16} {'':9} one crowd worker's vote against the majority of the others: "
                  f"ROC-AUC {agreement:.3f}")
        print(f"{'':16} {'':9} default model: {ours['negatives'] - ours['negatives_accepted_count']} negatives not "
              f"accepted, {ours['negatives_flagged_for_the_other_label']} of them for the score this dataset does "
              "not label")
        trained = entry.get("trained_on_dataset")
        if trained:
            print(f"{'':16} {'':9} {'':22} accuracy@0.5 {trained['accuracy_at_0.5']:.3f}  tuned accuracy "
                  f"{trained['accuracy_tuned']:.3f}  macro-F1@0.5 {trained['macro_f1_at_0.5']:.3f}  "
                  f"tuned macro-F1 {trained['macro_f1_tuned']:.3f}")
        if ours.get("positives_caught_at_95_negatives_accepted") is not None and dataset.label == "spam":
            print(f"{'':16} {'':9} default model at the cut-off that accepts 95% of the negatives: "
                  f"{ours['positives_caught_at_95_negatives_accepted']:.1%} of the positives caught")
        if dataset.label == "toxicity" and dataset.name != "jigsaw-sample":
            swearing_sources[dataset.name] = items
        if trained and "mixed_10_fold_accuracy" in trained:
            print(f"{'':16} {'':9} {'':22} published protocol (10-fold over all videos mixed): accuracy@0.5 "
                  f"{trained['mixed_10_fold_accuracy']:.3f}")
        entry["seconds"] = round(time.perf_counter() - started, 1)
        results["datasets"][dataset.name] = entry
    results["profanity"] = profanity_rates(loaded.model, thresholds, swearing_sources)
    print_profanity(results["profanity"])
    for name, (accepted, total) in (("all_datasets", _pooled(clean.values())),
                                    ("without_civil_comments", _pooled(v for k, v in clean.items()
                                                                       if k != "civil-comments"))):
        if total:
            results[f"clean_accepted_{name}"] = accepted / total
            print(f"civil pass ({name.replace('_', ' ')}): the default policy accepts {accepted}/{total} "
                  f"= {accepted / total:.1%} of the comments labelled neither spam nor toxic")
    return save(results)


def save(results: dict) -> int:
    """Write the figures to bench/results/accuracy.json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "accuracy.json").write_text(json.dumps(results, indent=2))
    print(f"saved {RESULTS / 'accuracy.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
