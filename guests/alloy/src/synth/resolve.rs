//! Synthesis pass 2, contradiction resolution (docs/design.md §2 Alloy): when variants disagree, pick what
//! a Metis directive names; else the variant matching the probe's detected stack; else what the
//! majority of the variants chose; else (an exact tie) surface the contradiction for a human
//! (provisional choice kept, recorded as "Decide: …").
use super::align::words;
use super::Variant;
use anneal_guest::types::{FileAction, Phase, ProbeReport};

/// How a contradiction was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A Metis directive names the chosen option (the directive's text).
    Directive(String),
    /// The chosen option matches the probe's detected stack (what matched).
    Stack(String),
    /// More variants took the chosen option than any other (`k of n variants`).
    Majority(String),
    /// Neither settles it: the choice is provisional and a human must decide.
    Human,
}

/// One disagreement between variants and how it was settled.
#[derive(Clone, Debug)]
pub struct Contradiction {
    /// What disagreed, e.g. "service `Redis`" or "feature flag".
    pub topic: String,
    /// Each option with the sources (`variant-{i}-{bias}`) that took it.
    pub options: Vec<(String, Vec<String>)>,
    /// The option the blend follows (provisional when `resolution` is `Human`).
    pub chosen: String,
    pub resolution: Resolution,
    /// Whether the synthesizer adds a decision phase for it (an either/or left to a human).
    pub needs_decision_phase: bool,
}

impl Contradiction {
    /// One line: the options, the choice and the rationale (for provenance and the report).
    pub fn line(&self) -> String {
        let opts: Vec<String> = self
            .options
            .iter()
            .map(|(o, s)| format!("{o} ({})", s.join(", ")))
            .collect();
        let why = match &self.resolution {
            Resolution::Directive(d) => format!("resolved per Metis directive \"{d}\""),
            Resolution::Stack(m) => format!("resolved by the probe's detected stack ({m})"),
            Resolution::Majority(m) => format!("resolved by majority ({m}); no directive names it"),
            Resolution::Human => "unresolved: no directive names it and the probe's stack does not settle it; provisional choice, a human must decide".into(),
        };
        format!(
            "{}: {} → {} — {why}",
            self.topic,
            opts.join(" vs "),
            self.chosen
        )
    }

    /// The iron rule of a contradiction left to a human: `Decide: …`.
    pub fn decide_rule(&self) -> Option<String> {
        (self.resolution == Resolution::Human).then(|| {
            let opts: Vec<&str> = self.options.iter().map(|(o, _)| o.as_str()).collect();
            format!(
                "Decide: {} — {} (the plan provisionally follows {}; see synthesis-provenance.md).",
                self.topic,
                opts.join(" or "),
                self.chosen
            )
        })
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The distinctive key of a service name: its first word, lowercase (`Redis 7` → `redis`).
pub fn service_key(s: &str) -> String {
    words(s)
        .into_iter()
        .next()
        .unwrap_or_else(|| lower(s.trim()))
}

fn directive_naming<'a>(directives: &'a [String], key: &str) -> Option<&'a String> {
    directives
        .iter()
        .find(|d| words(d).iter().any(|w| super::same_name(w, key)))
}

/// What of the probe's detected stack (services, frameworks, languages) matches `key`, if any.
pub fn stack_match(probe: &ProbeReport, key: &str) -> Option<String> {
    let m = |name: &str| {
        let n = lower(name);
        n == key
            || (key.len() >= 5 && (n.contains(key) || key.contains(n.as_str())) && n.len() >= 4)
    };
    if let Some(s) = probe.services.iter().find(|s| m(&s.name)) {
        return Some(format!("detected service {} from {}", s.name, s.source));
    }
    if let Some(f) = probe.frameworks.iter().find(|f| m(f)) {
        return Some(format!("detected framework {f}"));
    }
    probe
        .languages
        .iter()
        .find(|l| m(&l.name))
        .map(|l| format!("detected language {}", l.name))
}

/// Service contradictions: services declared by some variants but not all. Services that
/// compete (one variant declares A without B, another B without A) form one either/or group.
/// Returns the contradictions and the rejected service names.
pub fn services(
    variants: &[Variant],
    directives: &[String],
    probe: &ProbeReport,
) -> (Vec<Contradiction>, Vec<String>) {
    let mut all: Vec<String> = Vec::new();
    for v in variants {
        for s in &v.plan.dependencies.services {
            if !all.iter().any(|a| lower(a) == lower(s)) {
                all.push(s.clone());
            }
        }
    }
    let declares = |v: &Variant, s: &str| {
        v.plan
            .dependencies
            .services
            .iter()
            .any(|x| lower(x) == lower(s))
    };
    let partial: Vec<String> = all
        .into_iter()
        .filter(|s| !variants.iter().all(|v| declares(v, s)))
        .collect();
    let competes = |a: &str, b: &str| {
        variants.iter().any(|v| declares(v, a) && !declares(v, b))
            && variants.iter().any(|v| declares(v, b) && !declares(v, a))
    };
    // Connected components of the competition relation, in first-declared order.
    let mut group_of: Vec<usize> = (0..partial.len()).collect();
    for i in 0..partial.len() {
        for j in 0..i {
            if competes(&partial[i], &partial[j]) {
                let (gi, gj) = (group_of[i], group_of[j]);
                for g in group_of.iter_mut() {
                    if *g == gi {
                        *g = gj;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for i in 0..partial.len() {
        let g = group_of[i];
        if seen.contains(&g) {
            continue;
        }
        seen.push(g);
        let members: Vec<&String> = (0..partial.len())
            .filter(|&k| group_of[k] == g)
            .map(|k| &partial[k])
            .collect();
        let sources = |s: &str, yes: bool| -> Vec<String> {
            variants
                .iter()
                .filter(|v| declares(v, s) == yes)
                .map(Variant::source)
                .collect()
        };
        let dir: Vec<(&String, &String)> = members
            .iter()
            .filter_map(|s| directive_naming(directives, &service_key(s)).map(|d| (*s, d)))
            .collect();
        let stack: Vec<(&String, String)> = members
            .iter()
            .filter_map(|s| stack_match(probe, &service_key(s)).map(|m| (*s, m)))
            .collect();
        let (winners, resolution): (Vec<&String>, Resolution) = if let Some((_, d)) = dir.first() {
            (
                dir.iter().map(|(s, _)| *s).collect(),
                Resolution::Directive((*d).clone()),
            )
        } else if let Some((_, m)) = stack.first() {
            (
                stack.iter().map(|(s, _)| *s).collect(),
                Resolution::Stack(m.clone()),
            )
        } else if members.len() == 1 {
            let s = members[0];
            let (yes, no) = (sources(s, true).len(), sources(s, false).len());
            if yes != no {
                let k = yes.max(no);
                let res = Resolution::Majority(format!("{k} of {} variants", variants.len()));
                (
                    if yes > no {
                        members.clone()
                    } else {
                        Vec::new()
                    },
                    res,
                )
            } else {
                (members.clone(), Resolution::Human)
            }
        } else {
            // Provisional: the member most variants declare; ties go to the earliest declared.
            let best = members
                .iter()
                .max_by_key(|s| {
                    (
                        sources(s, true).len(),
                        std::cmp::Reverse(members.iter().position(|m| m == *s)),
                    )
                })
                .unwrap();
            (vec![*best], Resolution::Human)
        };
        let options: Vec<(String, Vec<String>)> = if members.len() == 1 {
            let s = members[0];
            vec![
                (format!("declare `{s}`"), sources(s, true)),
                (format!("no `{s}`"), sources(s, false)),
            ]
        } else {
            members
                .iter()
                .map(|s| (format!("`{s}`"), sources(s, true)))
                .collect()
        };
        let chosen = if members.len() == 1 && winners.is_empty() {
            format!("no `{}`", members[0])
        } else if members.len() == 1 {
            format!("declare `{}`", members[0])
        } else {
            winners
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        for m in &members {
            if !winners.contains(m) {
                rejected.push((*m).clone());
            }
        }
        let topic = if members.len() == 1 {
            format!("service `{}`", members[0])
        } else {
            format!(
                "services {}",
                members
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" vs ")
            )
        };
        out.push(Contradiction {
            topic,
            options,
            chosen,
            needs_decision_phase: resolution == Resolution::Human && members.len() > 1,
            resolution,
        });
    }
    (out, rejected)
}

/// Feature-flag libraries and env-var markers that show a project already runs feature flags.
const FLAG_STACK: &[&str] = &[
    "launchdarkly",
    "unleash",
    "flipper",
    "growthbook",
    "flagsmith",
    "openfeature",
    "split",
];

/// The feature-flag contradiction: some variants gate the change behind a flag, others do not.
/// `flagged[i]` says whether variant `i` has a feature-flag phase. Returns the contradiction
/// (None when all agree) and whether the blend keeps the flag.
pub fn feature_flag(
    variants: &[Variant],
    flagged: &[bool],
    directives: &[String],
    probe: &ProbeReport,
) -> (Option<Contradiction>, bool) {
    let with: Vec<String> = variants
        .iter()
        .zip(flagged)
        .filter(|(_, f)| **f)
        .map(|(v, _)| v.source())
        .collect();
    let without: Vec<String> = variants
        .iter()
        .zip(flagged)
        .filter(|(_, f)| !**f)
        .map(|(v, _)| v.source())
        .collect();
    if with.is_empty() || without.is_empty() {
        return (None, !with.is_empty());
    }
    let negative = |d: &str| {
        let d = lower(d);
        [
            "no feature flag",
            "without a feature flag",
            "without feature flag",
            "avoid feature flag",
            "do not add a feature flag",
            "no flag",
        ]
        .iter()
        .any(|n| d.contains(n))
    };
    // A directive speaks to this contradiction only when it names a feature flag: "flag" alone
    // is also a verb ("flag dropping the old data as a breaking change").
    let about_flags = |d: &str| {
        let d = lower(d);
        [
            "feature flag",
            "feature-flag",
            "behind a flag",
            "no flag",
            "flag off",
        ]
        .iter()
        .any(|n| d.contains(n))
    };
    let (keep, resolution) = if let Some(d) = directives.iter().find(|d| about_flags(d)) {
        (!negative(d), Resolution::Directive(d.clone()))
    } else if let Some(m) = probe
        .env_vars
        .iter()
        .find(|e| {
            let e = e.to_uppercase();
            e.contains("FEATURE") || e.contains("FLAG")
        })
        .map(|e| format!("the project already reads flag variable {e}"))
        .or_else(|| {
            probe
                .frameworks
                .iter()
                .find(|f| FLAG_STACK.iter().any(|k| lower(f).contains(k)))
                .map(|f| format!("detected flag framework {f}"))
        })
    {
        (true, Resolution::Stack(m))
    } else if with.len() != without.len() {
        // The majority of the variants decides.
        let keep = with.len() > without.len();
        let k = if keep { with.len() } else { without.len() };
        (
            keep,
            Resolution::Majority(format!("{k} of {} variants", variants.len())),
        )
    } else {
        // An exact tie: keep the flag (fail-safe default, docs/design.md §5 risk posture) and
        // leave it to a human.
        (true, Resolution::Human)
    };
    let c = Contradiction {
        topic: "feature flag".into(),
        options: vec![
            ("ship behind a feature flag (off by default)".into(), with),
            ("ship without a flag".into(), without),
        ],
        chosen: if keep {
            "ship behind a feature flag (off by default)".into()
        } else {
            "ship without a flag".into()
        },
        resolution,
        needs_decision_phase: false,
    };
    (Some(c), keep)
}

fn created_code(p: &Phase) -> Vec<String> {
    p.files
        .iter()
        .filter(|f| f.action == FileAction::Create && !lower(&f.path).contains("test"))
        .map(|f| f.path.clone())
        .collect()
}

fn file_stem(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    lower(base.split('.').next().unwrap_or(base))
}

/// The file contradiction of one aligned row: two candidates create disjoint sets of (non-test)
/// files for the same role. `cands` are `(source, phase)`; `default` is the rubric pick (index
/// into `cands`). Returns the contradiction and the chosen candidate index, or None.
pub fn files(
    row_title: &str,
    cands: &[(String, &Phase)],
    default: usize,
    directives: &[String],
    probe: &ProbeReport,
) -> Option<(Contradiction, usize)> {
    let created: Vec<Vec<String>> = cands.iter().map(|(_, p)| created_code(p)).collect();
    let disjoint = (0..cands.len()).any(|a| {
        (0..a).any(|b| {
            !created[a].is_empty()
                && !created[b].is_empty()
                && created[a].iter().all(|x| !created[b].contains(x))
        })
    });
    if !disjoint {
        return None;
    }
    let with_files: Vec<usize> = (0..cands.len())
        .filter(|&i| !created[i].is_empty())
        .collect();
    // Directive naming a created file (its path or stem).
    let by_dir = with_files.iter().find_map(|&i| {
        directives
            .iter()
            .find(|d| {
                let dl = lower(d);
                created[i].iter().any(|p| {
                    dl.contains(&lower(p))
                        || (file_stem(p).len() >= 4 && words(d).contains(&file_stem(p)))
                })
            })
            .map(|d| (i, d.clone()))
    });
    // Stack: files whose extension is a detected language's and whose directory the probe saw.
    let stack_score = |i: usize| -> usize {
        created[i]
            .iter()
            .map(|p| {
                let dir = p.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let ext = p
                    .rsplit_once('.')
                    .map(|(_, e)| lower(e))
                    .unwrap_or_default();
                let lang = probe
                    .languages
                    .iter()
                    .any(|l| lang_ext(&l.name).contains(&ext.as_str()));
                let seen = !dir.is_empty()
                    && probe
                        .relevant_files
                        .iter()
                        .map(|f| &f.path)
                        .chain(probe.entry_points.iter())
                        .any(|f| f.starts_with(&format!("{dir}/")));
                lang as usize + seen as usize
            })
            .sum()
    };
    let scores: Vec<usize> = (0..cands.len()).map(stack_score).collect();
    let best = with_files.iter().copied().max_by_key(|&i| scores[i]);
    let unique_best = best.filter(|&b| {
        with_files
            .iter()
            .filter(|&&i| scores[i] == scores[b])
            .count()
            == 1
    });
    let (chosen, resolution) = if let Some((i, d)) = by_dir {
        (i, Resolution::Directive(d))
    } else if let Some(b) = unique_best {
        (
            b,
            Resolution::Stack(format!(
                "{} matches the detected languages and directories",
                created[b].join(", ")
            )),
        )
    } else {
        (default, Resolution::Human)
    };
    let options: Vec<(String, Vec<String>)> = with_files
        .iter()
        .map(|&i| {
            (
                format!(
                    "create {}",
                    created[i]
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                vec![cands[i].0.clone()],
            )
        })
        .collect();
    let chosen_label = if created[chosen].is_empty() {
        format!("the files of {}", cands[chosen].0)
    } else {
        format!(
            "create {}",
            created[chosen]
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some((
        Contradiction {
            topic: format!("files of \"{row_title}\""),
            options,
            chosen: chosen_label,
            needs_decision_phase: resolution == Resolution::Human,
            resolution,
        },
        chosen,
    ))
}

/// File extensions of a language name as the probe reports it.
fn lang_ext(lang: &str) -> &'static [&'static str] {
    match lower(lang).as_str() {
        "rust" => &["rs"],
        "python" => &["py"],
        "go" => &["go"],
        "javascript" => &["js", "mjs", "cjs", "jsx"],
        "typescript" => &["ts", "tsx"],
        "java" => &["java"],
        "kotlin" => &["kt"],
        "ruby" => &["rb"],
        "c" => &["c", "h"],
        "c++" | "cpp" => &["cc", "cpp", "hpp", "h"],
        "c#" | "csharp" => &["cs"],
        "php" => &["php"],
        "swift" => &["swift"],
        "shell" => &["sh"],
        "sql" => &["sql"],
        _ => &[],
    }
}
