#!/usr/bin/python3
"""scikit-learn peer for bench/run_bench.py, run as its own process so that its time and
peak RSS are its own.

  sklearn_runner.py train --data train.tsv --text text[,f2,...] --label L --model m.pkl
                          [--algo svc|sgd] [--C 1.0] [--alpha 1e-5] [--threads T] [--seed 1]
                          [--multi-label]   (label column = labels separated by spaces)
  sklearn_runner.py code  --model m.pkl --data test.tsv --id row_id --text text[,f2,...]
                          --top-k 5 --out pred.tsv

Features: TF-IDF of word 1-2-grams + char_wb 2-5-grams, both sublinear_tf (fields joined by
" ; "). Classifier: LinearSVC (one-vs-rest, liblinear) or, with --algo sgd, logistic regression
fitted by SGDClassifier(loss="log_loss"). With --threads > 1 the one-vs-rest binary problems
are fitted on T threads (liblinear and SGD release the GIL); with 1 thread LinearSVC's own
multi-class loop is used (same model). With --multi-label each text is one sample and every
label is its own one-vs-rest problem (MultiLabelBinarizer). The model file is a pickle of a
plain dict (vectorizer, classes, weights, intercepts); weights are stored as a sparse matrix
when under 30 % dense, which is what sklearn's own sparsify() does.
"""

import argparse
import json
import os
import pickle
import sys
import time

import numpy as np
import scipy.sparse as sp

FIELD_SEP = " ; "


def read_tsv(path, cols):
    with open(path, encoding="utf-8", newline="\n") as f:
        header = f.readline().rstrip("\n").split("\t")
        idx = []
        for c in cols:
            if c not in header:
                sys.exit(f"{path}: column '{c}' missing (have {header})")
            idx.append(header.index(c))
        out = []
        for line in f:
            line = line.rstrip("\n")
            if line:
                fields = line.split("\t")
                out.append([fields[i] for i in idx])
    return out


def make_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
    ])


def cmd_train(a):
    from joblib import parallel_backend
    from sklearn.linear_model import SGDClassifier
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    t0 = time.perf_counter()
    text_cols = a.text.split(",")
    rows = read_tsv(a.data, text_cols + [a.label])
    texts = [FIELD_SEP.join(r[:-1]) for r in rows]
    y = np.array([r[-1] for r in rows])
    t_read = time.perf_counter()
    vec = make_vectorizer()
    X = vec.fit_transform(texts)
    t_vec = time.perf_counter()

    if a.multi_label:
        # One binary problem per label over the label indicator matrix (each text once).
        from sklearn.preprocessing import MultiLabelBinarizer
        mlb = MultiLabelBinarizer(sparse_output=False)
        Y = mlb.fit_transform([labels.split(" ") for labels in y])
        classes = mlb.classes_
        base = (LinearSVC(C=a.C, random_state=a.seed) if a.algo == "svc" else
                SGDClassifier(loss="log_loss", alpha=a.alpha, max_iter=a.max_iter, tol=1e-4,
                              random_state=a.seed))
        clf = OneVsRestClassifier(base, n_jobs=a.threads)
        with parallel_backend("threading", n_jobs=a.threads):
            clf.fit(X, Y)
        W = np.vstack([e.coef_ for e in clf.estimators_])
        b = np.concatenate([e.intercept_ for e in clf.estimators_])
    elif a.algo == "svc":
        base = LinearSVC(C=a.C, random_state=a.seed)
        if a.threads > 1:
            clf = OneVsRestClassifier(base, n_jobs=a.threads)
            with parallel_backend("threading", n_jobs=a.threads):
                clf.fit(X, y)
            classes = clf.classes_
            if len(classes) == 2:
                W = clf.estimators_[0].coef_
                b = clf.estimators_[0].intercept_
            else:
                W = np.vstack([e.coef_ for e in clf.estimators_])
                b = np.concatenate([e.intercept_ for e in clf.estimators_])
        else:
            base.fit(X, y)
            classes, W, b = base.classes_, base.coef_, base.intercept_
    else:
        clf = SGDClassifier(loss="log_loss", alpha=a.alpha, max_iter=a.max_iter, tol=1e-4,
                            n_jobs=a.threads, random_state=a.seed)
        clf.fit(X, y)
        classes, W, b = clf.classes_, clf.coef_, clf.intercept_
    t_fit = time.perf_counter()

    density = float(np.count_nonzero(W)) / W.size if W.size else 0.0
    if density < 0.3:
        W = sp.csr_matrix(W)
    model = {"format": "statcoder-bench-sklearn-1", "algo": a.algo, "vectorizer": vec,
             "classes": classes, "W": W, "b": b, "field_sep": FIELD_SEP}
    tmp = a.model + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, a.model)
    t_save = time.perf_counter()
    report = {"read_s": t_read - t0, "vectorize_s": t_vec - t_read, "fit_s": t_fit - t_vec,
              "save_s": t_save - t_fit, "n_rows": len(texts), "n_features": int(X.shape[1]),
              "n_classes": int(len(classes)), "weight_density": density,
              "weights_sparse": bool(density < 0.3)}
    if a.report:
        with open(a.report, "w") as f:
            json.dump(report, f, indent=2)


def cmd_code(a):
    t0 = time.perf_counter()
    with open(a.model, "rb") as f:
        m = pickle.load(f)
    t_load = time.perf_counter()
    vec, classes, W, b = m["vectorizer"], m["classes"], m["W"], m["b"]
    WT = W.T.tocsr() if sp.issparse(W) else np.ascontiguousarray(W.T)
    text_cols = a.text.split(",")
    rows = read_tsv(a.data, [a.id] + text_cols)
    k = min(a.top_k, len(classes))
    binary = W.shape[0] == 1
    with open(a.out, "w", encoding="utf-8", newline="\n") as out:
        head = ["id"]
        for i in range(1, k + 1):
            head += [f"top{i}_code", f"top{i}_score"]
        out.write("\t".join(head) + "\n")
        for start in range(0, len(rows), a.batch):
            chunk = rows[start:start + a.batch]
            X = vec.transform([m["field_sep"].join(r[1:]) for r in chunk])
            S = X @ WT
            S = S.toarray() if sp.issparse(S) else np.asarray(S)
            S = S + b
            if binary:  # liblinear's binary model: one score, positive = classes[1]
                S = np.hstack([-S, S])
            top = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < S.shape[1] else \
                np.tile(np.arange(S.shape[1]), (S.shape[0], 1))
            for r, row_top, row_s in zip(chunk, top, S):
                order = row_top[np.argsort(-row_s[row_top], kind="stable")]
                parts = [r[0]]
                for j in order:
                    parts += [str(classes[j]), f"{row_s[j]:.6g}"]
                out.write("\t".join(parts) + "\n")
    t_done = time.perf_counter()
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"load_s": t_load - t0, "code_s": t_done - t_load, "n": len(rows)}, f)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--text", required=True)
    t.add_argument("--label", required=True)
    t.add_argument("--model", required=True)
    t.add_argument("--algo", choices=["svc", "sgd"], default="svc")
    t.add_argument("--C", type=float, default=1.0)
    t.add_argument("--alpha", type=float, default=1e-5)
    t.add_argument("--max-iter", type=int, default=30)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--multi-label", action="store_true",
                   help="the label column holds all labels of the text, separated by spaces")
    t.add_argument("--report")
    c = sub.add_parser("code")
    c.add_argument("--model", required=True)
    c.add_argument("--data", required=True)
    c.add_argument("--id", required=True)
    c.add_argument("--text", required=True)
    c.add_argument("--top-k", type=int, default=5)
    c.add_argument("--batch", type=int, default=2048)
    c.add_argument("--out", required=True)
    c.add_argument("--report")
    a = p.parse_args()
    if a.cmd == "train":
        cmd_train(a)
    else:
        cmd_code(a)


if __name__ == "__main__":
    main()
