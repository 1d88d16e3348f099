//! Word-boundary matching without regular expressions (the crate has no dependency).
//!
//! A text is split into words: maximal runs of alphanumeric characters, lowercased, each with
//! its byte span in the text. A phrase is a sequence of words; its last character `*` makes a
//! word a prefix. A phrase matches consecutive words separated only by spaces, hyphens or
//! apostrophes (so "nice-to-have" and "nice to have" match `nice to have`, "we're" matches
//! `we re`, and "nice. To have" does not).

/// The words of a text with their byte spans.
pub(crate) struct Words<'a> {
    text: &'a str,
    /// `(start, end, lowercase word)`.
    items: Vec<(usize, usize, String)>,
}

impl<'a> Words<'a> {
    /// Splits `text` into words.
    pub(crate) fn of(text: &'a str) -> Words<'a> {
        let mut items = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    items.push((s, i, text[s..i].to_lowercase()));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            items.push((s, text.len(), text[s..].to_lowercase()));
        }
        Words { text, items }
    }

    /// Whether any word equals one of `list` (lowercase words).
    pub(crate) fn any_word(&self, list: &[&str]) -> bool {
        self.items
            .iter()
            .any(|(_, _, w)| list.contains(&w.as_str()))
    }

    /// Whether the phrase `p` (see the module docs) occurs.
    pub(crate) fn has(&self, p: &str) -> bool {
        find_phrase(self, &Phrase::parse(p)).is_some()
    }

    /// Whether only separators (spaces, hyphens, apostrophes) lie between words `i` and `i + 1`.
    fn joined(&self, i: usize) -> bool {
        let gap = &self.text[self.items[i].1..self.items[i + 1].0];
        gap.chars()
            .all(|c| c.is_whitespace() || matches!(c, '-' | '\'' | '’'))
    }
}

/// A parsed phrase: words, each exact or a prefix.
pub(crate) struct Phrase<'p> {
    parts: Vec<(&'p str, bool)>,
}

impl<'p> Phrase<'p> {
    /// `"gold plat*"` → `[("gold", exact), ("plat", prefix)]`.
    pub(crate) fn parse(p: &'p str) -> Phrase<'p> {
        Phrase {
            parts: p
                .split_whitespace()
                .map(|w| match w.strip_suffix('*') {
                    Some(stem) => (stem, true),
                    None => (w, false),
                })
                .collect(),
        }
    }
}

/// Byte span of the first occurrence of `p` in `w`, if any.
pub(crate) fn find_phrase(w: &Words<'_>, p: &Phrase<'_>) -> Option<(usize, usize)> {
    let n = p.parts.len();
    if n == 0 || w.items.len() < n {
        return None;
    }
    (0..=w.items.len() - n).find_map(|i| {
        let all = p.parts.iter().enumerate().all(|(k, (part, prefix))| {
            let word = &w.items[i + k].2;
            let hit = if *prefix {
                word.starts_with(part)
            } else {
                word == part
            };
            hit && (k == 0 || w.joined(i + k - 1))
        });
        all.then(|| (w.items[i].0, w.items[i + n - 1].1))
    })
}
