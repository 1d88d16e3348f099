#!/usr/bin/env python3
"""Mines the localization benchmark's cases (issue 10) from the history of public repositories.

Input: the repositories of host/benches/localization/repos.json, bare-cloned under
<corpus>/repos/<owner>__<name>.git, and the rules of host/benches/localization/rules.json (the
one definition of what counts as a source, test, vendored or generated file, shared with the
bench). Output: host/benches/localization/cases.json (metadata only, no code).

The rule, applied in this order to every non-merge commit reachable from the repository's fixed
`ref`, newest first (`git rev-list --no-merges`), at most `commits.max_walked` commits, keeping
the first `commits.max_cases_per_repo` that pass:

1. The author is not a bot (`commits.excluded_author`).
2. The subject is a task-like sentence. It is cleaned first: trailing pull-request numbers
   ("(#123)", "#123", "fixes #123") are stripped (`commits.strip_patterns`), then a
   conventional-commit prefix ("fix(parser): ") is removed. A prefix whose type is in
   `commits.excluded_prefix_types` (docs, ci, style, test, build, release, revert, deps) rejects
   the commit. The cleaned subject must have at least `commits.min_words` words, must not match
   `commits.excluded_subject` (merges, reverts, releases, version bumps, typo, formatting and lint
   fixes, changelog/readme edits) and must start with a verb of `commits.verbs` (optionally
   inflected: -s, -es, -d, -ed, -ing), unless its prefix type was in `commits.task_prefix_types`
   (feat, fix, perf, refactor).
3. The commit's files (`git diff-tree -r --no-renames`, so a rename is a deletion plus an
   addition) are classified with rules.json: a *source file* has an extension of one of
   `languages`, matches no `test_path_patterns` and no `excluded_path_patterns`, and its first
   `generated_head_lines` lines do not match `generated_marker`. The commit must modify or add
   between `min_source_files` and `max_source_files` source files, at least one of them in the
   repository's main language, and must delete none.

Ground truth of a case: `files_modified` and `files_created` (the source files the commit
modified and added), `symbols` (definitions of the parent commit that the commit changed) and
`symbols_added` (definitions the commit introduced). Definitions come from tree-sitter parse
trees (py-tree-sitter with the official grammar wheels of PyPI, versions in requirements.txt):
functions, methods, classes, structs, enums, traits, interfaces, type aliases, modules and
constants, counted only when no enclosing node is a function (so locals and closures are not
definitions, methods of a class are); Rust `mod tests`/`mod test` blocks are skipped entirely.
Each changed line of a hunk (`git diff -U0`; old-side lines in the parent, new-side lines in the
commit; a pure insertion counts at its insertion point when it lies strictly inside a
definition) is attributed to the innermost definition containing it. `symbols` = old-side
definitions, plus new-side definitions whose name the parent's file already defined;
`symbols_added` = the other new-side definitions.

Split: per language, the repository whose sha256("owner/name") is smallest is HOLDOUT, the
others DEV (deterministic, not chosen by hand).

Usage:
    python3 scripts/locbench/mine.py --corpus /work/corpus [--clone-from /work/.mirror]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "host" / "benches" / "localization"

# ---------------------------------------------------------------------------------------------
# git


def git(git_dir: Path, *args: str, binary: bool = False):
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        check=True,
        capture_output=True,
    ).stdout
    return out if binary else out.decode("utf-8", "replace")


def show(git_dir: Path, rev: str, path: str) -> bytes | None:
    try:
        return git(git_dir, "show", f"{rev}:{path}", binary=True)
    except subprocess.CalledProcessError:
        return None


# ---------------------------------------------------------------------------------------------
# rules


class Rules:
    def __init__(self, data: dict):
        self.ext_lang = {e: lang for lang, exts in data["languages"].items() for e in exts}
        self.test = [re.compile(p) for p in data["test_path_patterns"]]
        self.excluded = [re.compile(p) for p in data["excluded_path_patterns"]]
        self.generated = re.compile(data["generated_marker"])
        self.head_lines = data["generated_head_lines"]
        c = data["commits"]
        self.c = c
        self.author = re.compile(c["excluded_author"])
        self.strip = [re.compile(p) for p in c["strip_patterns"]]
        self.prefix = re.compile(c["conventional_prefix"])
        self.subject_excluded = re.compile(c["excluded_subject"])
        verbs = "|".join(sorted(c["verbs"], key=len, reverse=True))
        self.verb = re.compile(rf"^({verbs})(s|es|d|ed|ing)?$")

    def language(self, path: str) -> str | None:
        ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
        return self.ext_lang.get(ext)

    def is_source_path(self, path: str) -> bool:
        return (
            self.language(path) is not None
            and not any(p.search(path) for p in self.test)
            and not any(p.search(path) for p in self.excluded)
        )

    def is_generated(self, content: bytes) -> bool:
        head = b"\n".join(content.splitlines()[: self.head_lines]).decode("utf-8", "replace")
        return bool(self.generated.search(head))

    def task(self, subject: str) -> str | None:
        """The cleaned task, or None when the subject is not a task-like sentence."""
        s = subject.strip()
        for p in self.strip:
            s = p.sub("", s).strip()
        task_prefix = False
        m = self.prefix.match(s)
        if m:
            kind = m.group("type").lower()
            if kind in self.c["excluded_prefix_types"]:
                return None
            task_prefix = kind in self.c["task_prefix_types"]
            s = s[m.end():].strip()
        words = s.split()
        if len(words) < self.c["min_words"] or self.subject_excluded.search(s):
            return None
        first = re.sub(r"[^a-z]", "", words[0].lower())
        if not task_prefix and not self.verb.match(first):
            return None
        return s


# ---------------------------------------------------------------------------------------------
# definitions (tree-sitter)

# Per language: node type -> kind of definition. A node counts only when no ancestor is in
# FUNCTION_LIKE (locals and closures are not definitions).
DEFINITIONS = {
    "rust": {
        "function_item": "function", "function_signature_item": "function",
        "struct_item": "type", "enum_item": "enum", "union_item": "type", "type_item": "type",
        "trait_item": "trait", "impl_item": "impl", "mod_item": "module",
        "const_item": "constant", "static_item": "constant", "macro_definition": "macro",
    },
    "python": {"function_definition": "function", "class_definition": "class"},
    "js-ts": {
        "function_declaration": "function", "generator_function_declaration": "function",
        "class_declaration": "class", "abstract_class_declaration": "class",
        "method_definition": "method", "interface_declaration": "interface",
        "type_alias_declaration": "type", "enum_declaration": "enum",
        "variable_declarator": "variable", "assignment_expression": "assignment",
        "abstract_method_signature": "method",
    },
    "go": {
        "function_declaration": "function", "method_declaration": "method",
        "type_spec": "type", "type_alias": "type", "const_spec": "constant",
    },
    "java": {
        "class_declaration": "class", "interface_declaration": "interface",
        "enum_declaration": "enum", "record_declaration": "class",
        "annotation_type_declaration": "interface", "method_declaration": "method",
        "constructor_declaration": "method", "compact_constructor_declaration": "method",
        "field_declaration": "constant",
    },
}
FUNCTION_LIKE = {
    "function_item", "closure_expression", "function_definition", "lambda",
    "function_declaration", "generator_function_declaration", "function_expression", "function",
    "arrow_function", "method_definition", "generator_function", "func_literal",
    "method_declaration", "constructor_declaration", "compact_constructor_declaration",
    "lambda_expression",
}
JS_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "class",
                      "generator_function"}


@dataclass
class Definition:
    name: str
    kind: str
    start: int  # 1-based, inclusive
    end: int


def parsers():
    from tree_sitter import Language, Parser
    import tree_sitter_go
    import tree_sitter_java
    import tree_sitter_javascript
    import tree_sitter_python
    import tree_sitter_rust
    import tree_sitter_typescript

    lang = {
        "rs": tree_sitter_rust.language(),
        "py": tree_sitter_python.language(),
        "pyi": tree_sitter_python.language(),
        "go": tree_sitter_go.language(),
        "java": tree_sitter_java.language(),
        "ts": tree_sitter_typescript.language_typescript(),
        "mts": tree_sitter_typescript.language_typescript(),
        "cts": tree_sitter_typescript.language_typescript(),
        "tsx": tree_sitter_typescript.language_tsx(),
    }
    for e in ("js", "mjs", "cjs", "jsx"):
        lang[e] = tree_sitter_javascript.language()
    return {e: Parser(Language(l)) for e, l in lang.items()}


def text(node) -> str:
    return node.text.decode("utf-8", "replace")


def definition_name(node, language: str) -> str | None:
    t = node.type
    if t == "impl_item":
        ty = node.child_by_field_name("type")
        if ty is None:
            return None
        # `impl<T> Foo<T>` -> Foo; `impl a::Foo` -> Foo.
        return re.split(r"[<\s]", text(ty))[0].split("::")[-1]
    if t == "variable_declarator" and language == "js-ts":
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or name.type != "identifier":
            return None
        n = text(name)
        if value is not None and value.type in JS_FUNCTION_VALUES:
            return n
        return n if re.fullmatch(r"[A-Z][A-Z0-9_]+", n) else None
    if t == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or right.type not in JS_FUNCTION_VALUES:
            return None
        if node.parent is None or node.parent.type != "expression_statement":
            return None
        if left.type == "member_expression":
            prop = left.child_by_field_name("property")
            return text(prop) if prop is not None else None
        return text(left) if left.type == "identifier" else None
    if t == "field_declaration" and language == "java":
        mods = next((c for c in node.children if c.type == "modifiers"), None)
        if mods is None or not {"static", "final"} <= set(text(mods).split()):
            return None
        decl = node.child_by_field_name("declarator")
        name = decl.child_by_field_name("name") if decl is not None else None
        return text(name) if name is not None else None
    name = node.child_by_field_name("name")
    if name is None:
        return None
    # The bare name: `[kRun]` (computed) -> kRun, `#field` (private) -> field.
    return text(name).strip("[]").lstrip("#") or None


def definitions(parser, content: bytes, language: str) -> list[Definition]:
    """Definitions of a file (see the module docstring for which nodes count)."""
    kinds = DEFINITIONS[language]
    tree = parser.parse(content)
    out: list[Definition] = []
    stack = [(tree.root_node, False)]
    while stack:
        node, in_function = stack.pop()
        t = node.type
        if language == "rust" and t == "mod_item":
            name = node.child_by_field_name("name")
            if name is not None and text(name) in ("tests", "test"):
                continue
        if not in_function and t in kinds:
            name = definition_name(node, language)
            if name:
                start = node
                # Python decorators and Rust/Java attributes belong to the definition.
                if node.parent is not None and node.parent.type == "decorated_definition":
                    start = node.parent
                out.append(
                    Definition(name, kinds[t], start.start_point[0] + 1, node.end_point[0] + 1)
                )
        child_in_function = in_function or t in FUNCTION_LIKE
        for c in node.children:
            stack.append((c, child_in_function))
    return out


def innermost(defs: list[Definition], line: int, insertion: bool) -> Definition | None:
    """The smallest definition containing `line` (or, for an insertion after `line`, the
    smallest one strictly containing the insertion point)."""
    best = None
    for d in defs:
        inside = d.start <= line and (d.end >= line + 1 if insertion else d.end >= line)
        if inside and (best is None or d.end - d.start < best.end - best.start):
            best = d
    return best


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def hunks(diff: str) -> list[tuple[int, int, int, int]]:
    out = []
    for line in diff.splitlines():
        m = HUNK.match(line)
        if m:
            out.append(
                (int(m[1]), int(m[2] or 1), int(m[3]), int(m[4] or 1))
            )
    return out


def changed(defs: list[Definition], ranges: list[tuple[int, int]]) -> list[Definition]:
    found: dict[tuple[str, int], Definition] = {}
    for start, count in ranges:
        lines = [(start, True)] if count == 0 else [(l, False) for l in range(start, start + count)]
        for line, insertion in lines:
            d = innermost(defs, line, insertion)
            if d is not None:
                found.setdefault((d.name, d.start), d)
    return sorted(found.values(), key=lambda d: (d.start, d.name))


# ---------------------------------------------------------------------------------------------
# mining


@dataclass
class Case:
    id: str
    repo: str
    language: str
    split: str
    commit: str
    parent: str
    subject: str
    task: str
    files_modified: list[str] = field(default_factory=list)
    files_created: list[str] = field(default_factory=list)
    symbols: list[dict] = field(default_factory=list)
    symbols_added: list[dict] = field(default_factory=list)


def source_changes(git_dir: Path, rules: Rules, parent: str, commit: str, main_lang: str):
    """(modified, created) source files of the commit, or None when the commit fails rule 3."""
    status = git(git_dir, "diff-tree", "-r", "--no-renames", "--name-status", parent, commit)
    modified, created = [], []
    for line in status.splitlines():
        st, _, path = line.partition("\t")
        if not rules.is_source_path(path):
            continue
        if st.startswith("D"):
            if not rules.is_generated(show(git_dir, parent, path) or b""):
                return None
            continue
        content = show(git_dir, commit, path)
        if content is None or rules.is_generated(content):
            continue
        (created if st.startswith("A") else modified).append(path)
    files = modified + created
    c = rules.c
    if not (c["min_source_files"] <= len(files) <= c["max_source_files"]):
        return None
    if not any(rules.language(f) == main_lang for f in files):
        return None
    return sorted(modified), sorted(created)


def symbols_of(git_dir: Path, rules: Rules, parsers_, parent: str, commit: str,
               modified: list[str], created: list[str]):
    symbols, added = [], []
    for path in modified + created:
        ext = path.rsplit(".", 1)[-1]
        parser, language = parsers_.get(ext), rules.language(path)
        if parser is None:
            continue
        diff = git(git_dir, "diff", "-U0", "--no-renames", parent, commit, "--", path)
        hs = hunks(diff)
        old_defs = []
        if path in modified:
            old_defs = definitions(parser, show(git_dir, parent, path) or b"", language)
        new_defs = definitions(parser, show(git_dir, commit, path) or b"", language)
        old_names = {d.name for d in old_defs}
        seen = set()
        for d in changed(old_defs, [(h[0], h[1]) for h in hs]):
            seen.add(d.name)
            symbols.append({"name": d.name, "kind": d.kind, "file": path,
                            "line_start": d.start, "line_end": d.end})
        for d in changed(new_defs, [(h[2], h[3]) for h in hs]):
            if d.name in seen:
                continue
            seen.add(d.name)
            entry = {"name": d.name, "kind": d.kind, "file": path}
            if d.name in old_names:
                od = next(o for o in old_defs if o.name == d.name)
                entry.update(line_start=od.start, line_end=od.end)
                symbols.append(entry)
            else:
                added.append(entry)
    return symbols, added


def holdout_repos(repos: list[dict]) -> set[str]:
    by_lang: dict[str, list[str]] = {}
    for r in repos:
        by_lang.setdefault(r["language"], []).append(r["repo"])
    return {
        min(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        for names in by_lang.values()
    }


def mine_repo(corpus: Path, rules: Rules, parsers_, entry: dict, split: str) -> list[Case]:
    repo = entry["repo"]
    git_dir = corpus / "repos" / (repo.replace("/", "__") + ".git")
    c = rules.c
    revs = git(git_dir, "rev-list", "--no-merges", f"--max-count={c['max_walked']}",
               entry["ref"]).split()
    cases: list[Case] = []
    for commit in revs:
        if len(cases) >= c["max_cases_per_repo"]:
            break
        meta = git(git_dir, "show", "-s", "--format=%P%x00%an%x00%s", commit).rstrip("\n")
        parents, author, subject = meta.split("\x00", 2)
        parents = parents.split()
        if len(parents) != 1 or rules.author.search(author):
            continue
        task = rules.task(subject)
        if task is None:
            continue
        parent = parents[0]
        files = source_changes(git_dir, rules, parent, commit, entry["language"])
        if files is None:
            continue
        modified, created = files
        symbols, added = symbols_of(git_dir, rules, parsers_, parent, commit, modified, created)
        name = repo.split("/")[1]
        cases.append(Case(
            id=f"{name}-{commit[:8]}", repo=repo, language=entry["language"], split=split,
            commit=commit, parent=parent, subject=subject, task=task,
            files_modified=modified, files_created=created,
            symbols=symbols, symbols_added=added,
        ))
    return cases


def clone(corpus: Path, mirror_root: Path, repos: list[dict]) -> None:
    (corpus / "repos").mkdir(parents=True, exist_ok=True)
    for r in repos:
        dest = corpus / "repos" / (r["repo"].replace("/", "__") + ".git")
        if dest.exists():
            continue
        src = mirror_root / r["repo"].replace("/", "+") / "repo"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(src), str(dest)], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True,
                    help="directory holding repos/<owner>__<name>.git")
    ap.add_argument("--clone-from", type=Path,
                    help="bare-clone missing repositories from <DIR>/<owner>+<name>/repo first")
    ap.add_argument("--out", type=Path, default=DATA / "cases.json")
    args = ap.parse_args()
    rules = Rules(json.loads((DATA / "rules.json").read_text()))
    repos = json.loads((DATA / "repos.json").read_text())["repos"]
    if args.clone_from:
        clone(args.corpus, args.clone_from, repos)
    missing = [r["repo"] for r in repos
               if not (args.corpus / "repos" / (r["repo"].replace("/", "__") + ".git")).exists()]
    if missing:
        print(f"mine.py: not in {args.corpus}/repos: {', '.join(missing)}; fetch them and "
              "pass --clone-from, or bare-clone them there", file=sys.stderr)
        return 2
    held = holdout_repos(repos)
    parsers_ = parsers()
    cases: list[Case] = []
    for entry in repos:
        split = "holdout" if entry["repo"] in held else "dev"
        got = mine_repo(args.corpus, rules, parsers_, entry, split)
        print(f"{entry['repo']:<22} {entry['language']:<7} {split:<8} {len(got)} cases",
              file=sys.stderr)
        cases.extend(got)
    doc = {
        "comment": "Localization benchmark cases (issue 10), written by scripts/locbench/mine.py "
                   "from repos.json and rules.json; do not edit by hand.",
        "cases": [c.__dict__ for c in cases],
    }
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    print(f"{len(cases)} cases -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
