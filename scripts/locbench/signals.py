#!/usr/bin/env python3
"""Would other offline signals lift the code index's file ranking? (localization bench, issue 10)

Input: the `cases.json` that `cargo bench -p anneal --bench localization -- --out DIR` writes
(each case carries `ranked`: the code index's ranked source files with their scores, as the
probe ranks them for the task) and the corpus (`<corpus>/repos/<owner>__<name>.git` and the
bench's materialized parents under `<corpus>/.locbench-cache`). No network, no model.

Output (stdout, Markdown): per split, the share of cases with a file the commit modified or
created within the top 1, 2, 3 and 5 of each ranking:

- `index`: the code index's ranking as the probe computes it (the plans' ceiling);
- `content`: plain BM25 (k1 1.2, b 0.75) over each source file's whole text (comments, strings
  and code, identifiers split into words, stop words removed, light suffix stems) plus its path's
  words three times;
- `fused`: reciprocal-rank fusion (k = 5) of `index` and `content`, the standard way to combine
  rankings (Cormack, Clarke and Büttcher, SIGIR 2009);
- `history`: `index` scores (normalised to the best) plus 0.6 × how often the file changed in
  the 100 commits before the parent (normalised to the most changed), a recency prior.

Then, for the `index` ranking, the operating points a plan built from it could reach by naming
its top k files (k = 1, 2, 3): the share of cases with a truly modified file named, and the
precision of the named files (pooled), as the bench counts them.

Source files are found here with simple rules (the language's extensions; test, example, docs
and vendored directories skipped), not rules.json, so `content` is a sketch of that signal, not
a reimplementation of the bench's classifier.

Usage: scripts/locbench/signals.py --cases DIR/cases.json --corpus /work/corpus
"""
import argparse
import collections
import json
import math
import os
import re
import subprocess

EXTENSIONS = {
    "rust": [".rs"],
    "python": [".py"],
    "js-ts": [".js", ".ts", ".mjs", ".cjs"],
    "go": [".go"],
    "java": [".java"],
}
STOP = set(
    "a an the and or of to in for on with by from is are be as at it its this that into not no "
    "use using when instead add fix make support allow new remove".split()
)
SKIPPED_DIRS = {"node_modules", "vendor", "target"}
TEST_LIKE = re.compile(
    r"(^|/)(tests?|__tests__|testdata|spec|examples?|benches|docs?)/|_test\.|test_|\.test\.|\.spec\.|Tests?\.java$"
)
DEPTHS = [1, 2, 3, 5]


def words(text):
    """Identifier words of `text`: camelCase and snake_case split, lower case, stop words and
    one-letter words removed, one suffix of -ing/-es/-s/-ed stripped (stem ≥ 3 letters)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    out = []
    for w in re.findall(r"[A-Za-z]+", text):
        w = w.lower()
        if len(w) < 2 or w in STOP:
            continue
        for suffix in ("ing", "es", "s", "ed"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.append(w)
    return out


def source_files(root, language):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in filenames:
            if any(name.endswith(e) for e in EXTENSIONS[language]):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if not TEST_LIKE.search(rel):
                    yield rel


def bm25(docs, query, k1=1.2, b=0.75):
    n = len(docs)
    if n == 0:
        return []
    avg = sum(len(d) for d in docs.values()) / n
    df = collections.Counter()
    tf = {}
    for path, doc in docs.items():
        tf[path] = collections.Counter(doc)
        df.update(tf[path].keys())
    scores = {}
    for path, counts in tf.items():
        s = 0.0
        for t in set(query):
            if t in counts:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * counts[t] * (k1 + 1) / (counts[t] + k1 * (1 - b + b * len(docs[path]) / avg))
        if s > 0:
            scores[path] = s
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def content_ranking(case, corpus):
    name = case["repo"].split("/")[1]
    root = os.path.join(corpus, ".locbench-cache", case["repo"].replace("/", "__"), case["parent"], name)
    docs = {}
    for rel in source_files(root, case["language"]):
        with open(os.path.join(root, rel), errors="ignore") as f:
            docs[rel] = words(f.read()) + words(rel) * 3
    return bm25(docs, words(case["task"]))


def fused(a, b, k=5):
    scores = collections.defaultdict(float)
    for ranking in (a, b):
        for i, (path, _) in enumerate(ranking):
            scores[path] += 1 / (k + i + 1)
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


def history(case, corpus, index, commits=100, weight=0.6):
    git = os.path.join(corpus, "repos", case["repo"].replace("/", "__") + ".git")
    log = subprocess.run(
        ["git", "--git-dir", git, "log", "--no-merges", "--name-only", "--format=", "-n", str(commits), case["parent"]],
        capture_output=True, text=True, check=True,
    ).stdout
    changed = collections.Counter(line for line in log.splitlines() if line)
    if not index:
        return []
    best = index[0][1] or 1.0
    most = max(changed.values(), default=1)
    scores = [(p, s / best + weight * changed.get(p, 0) / most) for p, s in index]
    return sorted(scores, key=lambda x: (-x[1], x[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", required=True, help="cases.json written by the localization bench's --out")
    ap.add_argument("--corpus", required=True, help="the bench's corpus directory")
    args = ap.parse_args()
    with open(args.cases) as f:
        cases = json.load(f)
    rankings = collections.defaultdict(list)
    points = collections.defaultdict(lambda: [0, 0, 0, 0])  # cases, hits, named, correct
    for case in cases:
        truth = set(case["files_modified"]) | set(case["files_created"])
        index = [tuple(x) for x in case["ranked"]]
        content = content_ranking(case, args.corpus)
        for name, ranking in (
            ("index", index),
            ("content", content),
            ("fused", fused(index, content)),
            ("history", history(case, args.corpus, index)),
        ):
            first = next((i + 1 for i, (p, _) in enumerate(ranking) if p in truth), None)
            rankings[(case["split"], name)].append(first)
        for k in (1, 2, 3):
            top = [p for p, _ in index[:k]]
            right = [p for p in top if p in truth]
            point = points[(case["split"], k)]
            point[0] += 1
            point[1] += bool(right)
            point[2] += len(top)
            point[3] += len(right)
    print("| split · ranking | cases | " + " | ".join(f"top {k}" for k in DEPTHS) + " |")
    print("|---|---:|" + "---:|" * len(DEPTHS))
    for (split, name), firsts in sorted(rankings.items()):
        shares = [sum(1 for r in firsts if r is not None and r <= k) / len(firsts) for k in DEPTHS]
        print(f"| {split} · {name} | {len(firsts)} | " + " | ".join(f"{s * 100:.1f} %" for s in shares) + " |")
    print()
    print("| split · naming the index's top k | cases | modified file named | precision | files named per plan |")
    print("|---|---:|---:|---:|---:|")
    for (split, k), (n, hits, named, correct) in sorted(points.items()):
        print(
            f"| {split} · top {k} | {n} | {hits / n * 100:.1f} % | {correct / max(named, 1) * 100:.1f} % | {named / n:.2f} |"
        )


if __name__ == "__main__":
    main()
