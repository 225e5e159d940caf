"""Fit the language models from the corpus's train part (never dev), and write them as content data.

    python -m tools.train_language          # write content/en/topic_model.json, intent_model.json
                                            # and red_flag_model.json
    python -m tools.train_language calm_bound   # print red_flags.json's calm_below, chosen on train

- The topic model answers "which part of the guide answers this?" at run time (answers.py): one
  class per topic, and UNCOVERED for questions the guide is silent on. Trained on the corpus's
  answerable and uncovered items, the project's question set (tests/data/question_set.yaml, in every
  form the handler passes: the whole question, the slot alone, the slot after "when"/"how long") and
  the topics' cues in knowledge.json.
- The intent model is the local resolver's statistical stage (a stand-in for Alexa's NLU, used by
  the CLI and tests): which intent an utterance is, when no closed sample matches it exactly.

Both are multinomial logistic regressions over language.features (stems and stem bigrams). The
features include the concepts of content/<lang>/concepts.json. The
regularisation C and the confidence threshold are chosen by 5-fold cross-validation on train,
maximising the mean of per-group accuracies (the topic model: answerable and uncovered; the intent
model: each intent, the fallback among them, so that neither the 26 commands' thousand sentences
nor the hundred-odd requests the skill doesn't do outweigh the rest); nothing looks at dev. scikit-learn is a dev dependency:
the skill only applies the exported weights.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from recovery_coach.intents import QUESTION, SYMPTOM
from recovery_coach.language import Concepts, features, pack_weights
from tools.quality import GOALS, load_part

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "lambda" / "recovery_coach" / "content"
UNCOVERED = "UNCOVERED"
C_GRID = (3.0, 10.0, 30.0)
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
PRUNE = 0.05  # smaller weights barely move a decision: left out of the file (and of cold start)
SEED = 0

# The intent each kind of utterance is, for the resolver (goals: tools.quality.GOALS).
KIND_INTENT = {"answerable": QUESTION, "uncovered": QUESTION, "red_flag": SYMPTOM, "harmless": SYMPTOM,
               "checkin": "CheckInIntent", "out_of_range": "CheckInIntent", "other": "AMAZON.FallbackIntent"}


def concepts(model: str, language: str = "en") -> dict[str, list[str]]:
    """The concept table (content/<lang>/concepts.json) a model ("topic" or "intent") is fitted with:
    copied into it, so a model always reads utterances with the table it was fitted with. The
    intent model's concepts also hold the phrases `intent_only` adds to them; the topic model reads
    `topic_only`'s lists in place of the shared ones, and its concepts of its own."""
    data = json.loads((CONTENT / language / "concepts.json").read_text(encoding="utf-8"))
    extra = data.get("intent_only", {}) if model == "intent" else {}
    table = {str(k): [str(p) for p in [*v, *extra.get(k, [])]] for k, v in data["concepts"].items()}
    if model == "topic":
        table.update({str(k): [str(p) for p in v] for k, v in data.get("topic_only", {}).items()})
    return table


def question_set_examples() -> list[tuple[str, str]]:
    from tests.unit.test_answers import forms  # the forms the handler passes match()

    qs = yaml.safe_load((ROOT / "tests" / "data" / "question_set.yaml").read_text(encoding="utf-8"))
    out = [(form, item["topic"]) for item in qs["answered"] for form in forms(item["q"])]
    out += [(form, UNCOVERED) for q in qs["not_covered"] for form in forms(q)]
    return out


def cue_examples(language: str = "en") -> list[tuple[str, str]]:
    data = json.loads((CONTENT / language / "knowledge.json").read_text(encoding="utf-8"))
    fields = json.loads((CONTENT / "clinic.json").read_text(encoding="utf-8"))
    out = [(cue.format(**fields), t["id"]) for t in data["topics"] for cue in t.get("cues", [])]
    out += [(cue.format(**fields), UNCOVERED) for u in data.get("uncovered", []) for cue in u.get("cues", [])]
    return out


def exported_weights(model: LogisticRegression, vec: CountVectorizer) -> dict[str, list[list[float]]]:
    """Per feature, the [class index, weight] pairs the skill adds up; weights under PRUNE left out."""
    weights: dict[str, list[list[float]]] = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        pairs = [[i, round(float(w), 3)] for i, w in enumerate(model.coef_[:, j]) if abs(w) >= PRUNE]
        if pairs:
            weights[str(name)] = pairs
    return weights


def fit(texts: list[str], labels: list[str], scored: Iterable[int], accept: list[set[str]],
        groups: list[str], fallback: str, table: dict[str, list[str]]) -> dict[str, Any]:
    """Choose C and the threshold by cross-validation over the `scored` rows, then fit on all rows,
    reading utterances with the concept `table`."""
    known = Concepts(table)
    vec = CountVectorizer(analyzer=lambda text: features(text, known), binary=True)
    x = vec.fit_transform(texts)
    y = np.array(labels)
    scored = list(scored)
    best: tuple[float, float, float] | None = None
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    for c in C_GRID:
        proba = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=folds, method="predict_proba")
        classes = np.array(sorted(set(labels)))
        for tau in THRESHOLDS:
            right: dict[str, list[bool]] = {}
            for i in scored:
                p = proba[i]
                guess = classes[p.argmax()] if p.max() >= tau else fallback
                right.setdefault(groups[i], []).append(guess in accept[i])
            score = float(np.mean([np.mean(v) for v in right.values()]))
            print(f"  C={c:<4g} threshold={tau:.1f}  cross-validated {score:.3f}  " +
                  "  ".join(f"{g} {np.mean(v):.3f}" for g, v in sorted(right.items())))
            if best is None or score > best[0]:
                best = (score, c, tau)
    assert best is not None
    _, c, tau = best
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    weights = exported_weights(model, vec)
    print(f"  chosen: C={c:g}, threshold={tau:.1f}; {len(weights)} features, {len(model.classes_)} classes")
    return {
        "about": "Fitted by tools/train_language.py from corpus/en/train (never dev). Do not edit by hand.",
        "classes": [str(k) for k in model.classes_],
        "bias": [round(float(b), 4) for b in model.intercept_],
        "threshold": tau,
        "cross_validated": round(best[0], 4),
        "C": c,
        "concepts": table,
        "weights": weights,
    }


def topic_model() -> dict[str, Any]:
    train = [i for i in load_part("train") if i.kind in ("answerable", "uncovered")]
    texts = [i.text for i in train]
    labels = [i.label[0] if i.kind == "answerable" else UNCOVERED for i in train]
    accept = [set(i.label) if i.kind == "answerable" else {UNCOVERED} for i in train]
    groups = [i.kind for i in train]
    extra = question_set_examples() + cue_examples()
    texts += [t for t, _ in extra]
    labels += [label for _, label in extra]
    accept += [{label} for _, label in extra]
    groups += ["question_set" for _ in extra]
    print(f"topic model: {len(train)} corpus items + {len(extra)} from the question set and cues")
    return fit(texts, labels, range(len(train)), accept, groups, UNCOVERED, concepts("topic"))


def intent_model() -> dict[str, Any]:
    train = [i for i in load_part("train") if i.kind in KIND_INTENT or i.label in GOALS]
    texts, labels, groups = [], [], []
    for item in train:
        if item.kind == "command":
            # The goal's intent: the first by name, but "start over" is Alexa's own StartOver.
            intent = "AMAZON.StartOverIntent" if item.label == "start_over" else sorted(GOALS[str(item.label)])[0]
        else:
            intent = KIND_INTENT[item.kind]
        texts.append(item.text)
        labels.append(intent)
        groups.append(intent)  # every intent weighs the same, however many sentences the writers gave it
    print(f"intent model: {len(texts)} corpus items")
    return fit(texts, labels, range(len(texts)), [{label} for label in labels], groups, "AMAZON.FallbackIntent",
               concepts("intent"))


RED_FLAG_C_GRID = (1.0, 3.0, 10.0)
RED_FLAG_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
MAX_FALSE_ALARMS = 0.02  # the bar for harmless statements, held on train's cross-validation


@dataclass(frozen=True)
class ScreenedTrain:
    """Train as the red-flag screen's list reads it: what the net is fitted and judged on."""
    texts: list[str]
    labels: list[str]
    listed: Any  # the list raised a flag
    denied: Any  # the list heard a flag said to be absent or over (the net is not asked)
    flagged_kind: Any  # labelled red flags
    harmless: Any  # labelled harmless statements


def screened_train() -> ScreenedTrain:
    from recovery_coach.content import HERE
    from recovery_coach.safety import NONE, load_screen

    items = list(load_part("train"))
    screen = load_screen((HERE / "en", HERE / "en-GB"))  # the list with both temperature scales
    texts = [i.text for i in items]
    read = [screen.read(t) for t in texts]
    return ScreenedTrain(texts, [str(i.label) if i.kind == "red_flag" else NONE for i in items],
                         np.array([hit is not None for hit, _ in read]),
                         np.array([hit is None and no for hit, no in read]),
                         np.array([i.kind == "red_flag" for i in items]), np.array([i.kind == "harmless" for i in items]))


def red_flag_model() -> dict[str, Any]:
    """The safety screen's net (recovery_coach/safety.py): one class per flag and "none", over every
    train item (red flags against harmless statements and every other kind). The urgent path fires
    when the list or P(not none) >= threshold says so; C and the threshold are chosen by 5-fold
    cross-validation on train, together with the list: the most red flags caught while no more than
    2 % of harmless statements (and of other kinds) get the urgent message."""
    from recovery_coach.safety import NONE

    train = screened_train()
    texts, labels, listed, denied = train.texts, train.labels, train.listed, train.denied
    flagged_kind, harmless = train.flagged_kind, train.harmless
    others = ~flagged_kind & ~harmless
    vec = CountVectorizer(analyzer=features, binary=True)
    x = vec.fit_transform(texts)
    y = np.array(labels)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    print(f"red-flag model: {flagged_kind.sum()} red flags, {harmless.sum()} harmless, {others.sum()} others; "
          f"the list alone: recall {listed[flagged_kind].mean():.3f}, harmless false alarms {listed[harmless].mean():.3f}")
    best: tuple[float, float, float, float, float] | None = None
    for c in RED_FLAG_C_GRID:
        proba = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=folds, method="predict_proba")
        p_flag = 1.0 - proba[:, list(sorted(set(labels))).index(NONE)]
        for tau in RED_FLAG_THRESHOLDS:
            fired = listed | ((p_flag >= tau) & ~denied)
            recall, alarms, other_alarms = fired[flagged_kind].mean(), fired[harmless].mean(), fired[others].mean()
            ok = alarms <= MAX_FALSE_ALARMS and other_alarms <= MAX_FALSE_ALARMS
            print(f"  C={c:<4g} threshold={tau:.2f}  recall {recall:.3f}  harmless false alarms {alarms:.3f}  "
                  f"others {other_alarms:.3f}{'' if ok else '  (too many alarms)'}")
            if ok and (best is None or (recall, tau) > (best[0], best[2])):
                best = (float(recall), c, tau, float(alarms), float(other_alarms))
    assert best is not None, "no threshold keeps false alarms within the bar"
    recall, c, tau, alarms, other_alarms = best
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    weights = exported_weights(model, vec)
    print(f"  chosen: C={c:g}, threshold={tau:.2f}; cross-validated with the list: recall {recall:.3f}, "
          f"harmless false alarms {alarms:.3f}, other kinds {other_alarms:.3f}")
    return {
        "about": "Fitted by tools/train_language.py (red_flag_model) from corpus/en/train (never dev). Do not edit by hand.",
        "classes": [str(k) for k in model.classes_],
        "bias": [round(float(b), 4) for b in model.intercept_],
        "threshold": tau,
        "cross_validated": {"recall": round(recall, 4), "harmless_false_alarms": round(alarms, 4),
                            "other_false_alarms": round(other_alarms, 4)},
        "C": c,
        "weights": weights,
    }


CALM_BOUNDS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2)
CAREFUL_RECALL = 0.95  # of the red flags the screen misses, the share the careful reply must reach


def calm_bound() -> float:
    """red_flags.json's calm_below, chosen by 5-fold cross-validation on train with the shipped net's
    C and threshold (nothing is refit): the largest bound below which a statement the screen lets
    through gets a kind word, such that at least CAREFUL_RECALL of the red flags the screen misses
    still get the careful reply. Printed, with what each bound costs in harmless statements."""
    from recovery_coach.safety import NONE

    shipped = json.loads((CONTENT / "en" / "red_flag_model.json").read_text(encoding="utf-8"))
    train = screened_train()
    texts, labels, listed, denied = train.texts, train.labels, train.listed, train.denied
    flagged_kind, harmless = train.flagged_kind, train.harmless
    x = CountVectorizer(analyzer=features, binary=True).fit_transform(texts)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    proba = cross_val_predict(LogisticRegression(C=shipped["C"], max_iter=5000), x, np.array(labels), cv=folds,
                              method="predict_proba")
    p_flag = 1.0 - proba[:, sorted(set(labels)).index(NONE)]
    fired = listed | ((p_flag >= shipped["threshold"]) & ~denied)
    missed, let_through = flagged_kind & ~fired, harmless & ~fired
    chosen = CALM_BOUNDS[0]
    for bound in CALM_BOUNDS:
        careful = ~fired & ~denied & (p_flag >= bound)
        caught = float(careful[missed].mean())
        print(f"  calm below {bound:<5g}: careful reply to {careful[missed].sum()} of {missed.sum()} missed red flags "
              f"({caught:.3f}), to {careful[let_through].mean():.3f} of harmless statements")
        if caught >= CAREFUL_RECALL:
            chosen = bound
    print(f"  chosen: calm_below = {chosen:g}")
    return chosen


def main(argv: list[str]) -> int:
    if argv == ["calm_bound"]:
        calm_bound()  # a value for red_flags.json (content a clinician reads); no model is written
        return 0
    for name, build in (("topic_model.json", topic_model), ("intent_model.json", intent_model),
                        ("red_flag_model.json", red_flag_model)):
        if argv and name.removesuffix(".json") not in argv and name not in argv:
            continue  # `python -m tools.train_language red_flag_model` fits only that one
        model = build()
        path = CONTENT / "en" / name
        model["weights"] = pack_weights(model["weights"])  # language.PACKED: 5 bytes a pair when loaded
        path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
