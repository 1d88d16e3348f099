//! BM25 retrieval over identifiers (docs/design.md §10, "grounding"), with the `bm25` crate.
//!
//! A document is a bag of [`super::words::terms`]: identifier words, stop words removed, light
//! stems. Fields are weighted by repetition, a standard approximation of BM25F: for a file,
//! each defined name counts [`DEF_WEIGHT`] times, its path's words [`PATH_WEIGHT`] times, and
//! each name it uses once (however often it uses it); for a definition, its name counts
//! [`DEF_WEIGHT`] times, its scope's and its file's words once. Parameters are the crate's
//! defaults (k1 = 1.2, b = 0.75).
use std::collections::HashMap;

use bm25::{Embedder, EmbedderBuilder, Scorer, Tokenizer};

use super::{words, DefRef, FileEntry};

/// Repetitions of a defined name's words in a document.
pub const DEF_WEIGHT: usize = 3;
/// Repetitions of a file path's words in its document.
pub const PATH_WEIGHT: usize = 2;

/// Documents are pre-tokenised: terms joined by spaces.
#[derive(Clone, Copy, Debug, Default)]
struct Pretokenized;

impl Tokenizer for Pretokenized {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        input_text
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A BM25 index over documents identified by `usize`.
pub struct Bm25 {
    embedder: Embedder<u32, Pretokenized>,
    scorer: Scorer<usize, u32>,
    /// Each document's terms with their counts (for reasons).
    terms: Vec<HashMap<String, u32>>,
}

impl Bm25 {
    /// An index over `docs` (each a list of terms); ids are positions in `docs`.
    pub fn new(docs: Vec<Vec<String>>) -> Self {
        let joined: Vec<String> = docs.iter().map(|d| d.join(" ")).collect();
        let corpus: Vec<&str> = joined.iter().map(String::as_str).collect();
        let embedder = EmbedderBuilder::<u32, Pretokenized>::with_tokenizer_and_fit_to_corpus(
            Pretokenized,
            &corpus,
        )
        .build();
        let mut scorer = Scorer::<usize, u32>::new();
        for (i, d) in joined.iter().enumerate() {
            scorer.upsert(&i, embedder.embed(d));
        }
        let terms = docs
            .into_iter()
            .map(|d| {
                let mut m: HashMap<String, u32> = HashMap::new();
                for t in d {
                    *m.entry(t).or_default() += 1;
                }
                m
            })
            .collect();
        Bm25 {
            embedder,
            scorer,
            terms,
        }
    }

    /// Documents matching `query_terms`, best first: (id, score > 0).
    pub fn search(&self, query_terms: &[String]) -> Vec<(usize, f32)> {
        if query_terms.is_empty() {
            return Vec::new();
        }
        let q = self.embedder.embed(&query_terms.join(" "));
        let mut v: Vec<(usize, f32)> = self
            .scorer
            .matches(&q)
            .into_iter()
            .filter(|d| d.score > 0.0)
            .map(|d| (d.id, d.score))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The query terms document `id` holds, with their counts, most frequent first.
    pub fn matched(&self, id: usize, query_terms: &[String]) -> Vec<(String, u32)> {
        let mut seen = Vec::new();
        let mut out: Vec<(String, u32)> = Vec::new();
        for t in query_terms {
            if seen.contains(t) {
                continue;
            }
            seen.push(t.clone());
            if let Some(&n) = self.terms.get(id).and_then(|m| m.get(t)) {
                out.push((t.clone(), n));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// The BM25 document of a file (see the module weights).
pub fn file_document(f: &FileEntry) -> Vec<String> {
    let mut doc = Vec::new();
    let path_terms = words::terms(f.path.rsplit_once('.').map_or(f.path.as_str(), |(p, _)| p));
    for _ in 0..PATH_WEIGHT {
        doc.extend(path_terms.iter().cloned());
    }
    for d in &f.definitions {
        let t = words::terms(&d.name);
        for _ in 0..DEF_WEIGHT {
            doc.extend(t.iter().cloned());
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &f.references {
        if seen.insert(r.name.as_str()) {
            doc.extend(words::terms(&r.name));
        }
    }
    doc
}

/// The BM25 document of a definition (see the module weights).
pub fn definition_document(d: &DefRef<'_>) -> Vec<String> {
    let mut doc = Vec::new();
    let t = words::terms(&d.def.name);
    for _ in 0..DEF_WEIGHT {
        doc.extend(t.iter().cloned());
    }
    if let Some(s) = &d.def.scope {
        doc.extend(words::terms(s));
    }
    let stem = d.file.path.rsplit('/').next().unwrap_or(&d.file.path);
    doc.extend(words::terms(stem.split('.').next().unwrap_or(stem)));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<String> {
        words::terms(s)
    }

    #[test]
    fn ranks_the_document_with_rarer_terms_first() {
        let idx = Bm25::new(vec![
            doc("parse counted repetition error kind"),
            doc("error display format"),
            doc("error error error"),
        ]);
        let hits = idx.search(&doc("repetition error"));
        assert_eq!(hits[0].0, 0, "{hits:?}");
        assert_eq!(
            idx.matched(0, &doc("repetition error")),
            [("error".to_string(), 1), ("repetition".to_string(), 1)]
        );
        assert!(idx.search(&doc("nothing here")).is_empty());
        assert!(idx.search(&[]).is_empty());
    }
}
