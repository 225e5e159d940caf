"""Fit the language models from the corpus's train part (never dev), and write them as content data.

    python -m tools.train_language          # write content/en/topic_model.json and intent_model.json

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
maximising the mean of per-kind accuracies; nothing looks at dev. scikit-learn is a dev dependency:
the skill only applies the exported weights.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from recovery_coach.language import Concepts, features
from tools.quality import GOALS, load_part

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "lambda" / "recovery_coach" / "content"
UNCOVERED = "UNCOVERED"
C_GRID = (3.0, 10.0, 30.0)
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
PRUNE = 0.05  # smaller weights barely move a decision: left out of the file (and of cold start)
SEED = 0

# The intent each kind of utterance is, for the resolver (goals: tools.quality.GOALS).
KIND_INTENT = {"answerable": "AskQuestionIntent", "uncovered": "AskQuestionIntent",
               "red_flag": "ReportSymptomIntent", "harmless": "ReportSymptomIntent",
               "checkin": "CheckInIntent", "out_of_range": "CheckInIntent", "other": "AMAZON.FallbackIntent"}


def concepts(language: str = "en") -> dict[str, list[str]]:
    """The concept table (content/<lang>/concepts.json): copied into each model, so a model always
    reads utterances with the table it was fitted with."""
    data = json.loads((CONTENT / language / "concepts.json").read_text(encoding="utf-8"))
    return {str(k): [str(p) for p in v] for k, v in data["concepts"].items()}


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


def fit(texts: list[str], labels: list[str], scored: Iterable[int], accept: list[set[str]],
        groups: list[str], fallback: str) -> dict[str, Any]:
    """Choose C and the threshold by cross-validation over the `scored` rows, then fit on all rows."""
    table = concepts()
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
    names = vec.get_feature_names_out()
    weights: dict[str, list[list[float]]] = {}
    for j, name in enumerate(names):
        column = model.coef_[:, j]
        pairs = [[i, round(float(w), 3)] for i, w in enumerate(column) if abs(w) >= PRUNE]
        if pairs:
            weights[str(name)] = pairs
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
    return fit(texts, labels, range(len(train)), accept, groups, UNCOVERED)


def intent_model() -> dict[str, Any]:
    train = [i for i in load_part("train") if i.kind in KIND_INTENT or i.label in GOALS]
    texts, labels, groups = [], [], []
    for item in train:
        if item.kind == "command":
            intents = sorted(GOALS[str(item.label)])
            intent = next((n for n in intents if n != "ThanksIntent" and n != "AMAZON.StartOverIntent"), None)
            if intent is None or item.label in ("thanks", "start_over"):
                continue  # no intent in the model does these yet
        else:
            intent = KIND_INTENT[item.kind]
        texts.append(item.text)
        labels.append(intent)
        groups.append(item.kind)
    print(f"intent model: {len(texts)} corpus items")
    return fit(texts, labels, range(len(texts)), [{label} for label in labels], groups, "AMAZON.FallbackIntent")


def main(argv: list[str]) -> int:
    for name, build in (("topic_model.json", topic_model), ("intent_model.json", intent_model)):
        model = build()
        path = CONTENT / "en" / name
        path.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
