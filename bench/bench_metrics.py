"""Accuracy metrics for the side-by-side benchmark; the same code scores every system.

truth: {id: [labels]} (one label, or several for multi-label data such as cooking)
preds: {id: [(code, score), ...]} ranked best first; a missing id counts as a wrong answer.
"""

import collections


def evaluate(truth, preds, k=5):
    n = len(truth)
    top1_hits = topk_hits = n_true_labels = missing = 0
    tp = collections.Counter()
    fp = collections.Counter()
    fn = collections.Counter()
    true_classes = set()
    pred_classes = set()
    for rid, labels in truth.items():
        gold = set(labels)
        true_classes |= gold
        n_true_labels += len(gold)
        ranked = preds.get(rid)
        if not ranked:
            missing += 1
            for c in gold:
                fn[c] += 1
            continue
        top1 = ranked[0][0]
        pred_classes.add(top1)
        # P@1: the top prediction is among the true labels (= top-1 accuracy for one label).
        if top1 in gold:
            top1_hits += 1
            tp[top1] += 1
        else:
            fp[top1] += 1
        for c in gold:
            if c != top1:
                fn[c] += 1
        if gold & {code for code, _ in ranked[:k]}:
            topk_hits += 1

    def f1(c):
        d = 2 * tp[c] + fp[c] + fn[c]
        return 2 * tp[c] / d if d else 0.0

    def macro(classes):
        return sum(f1(c) for c in classes) / len(classes) if classes else 0.0

    return {
        "n": n,
        "missing": missing,
        "top1": top1_hits / n if n else 0.0,
        f"top{k}": topk_hits / n if n else 0.0,
        # R@1 as in the fastText tutorial: correct top-1 predictions / all true labels.
        "r_at_1": top1_hits / n_true_labels if n_true_labels else 0.0,
        # Macro-F1 of the top-1 prediction, averaged over the classes present in the test
        # truth (the table's number) and over truth ∪ predicted classes (sklearn's default).
        "macro_f1": macro(true_classes),
        "macro_f1_union": macro(true_classes | pred_classes),
    }
