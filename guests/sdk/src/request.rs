//! Building an [`AgentRequest`]: `AgentRequest::new(role)` gives a request with every optional
//! field empty (the run's own category and directives, no lens, no rewrite); the `with_*`
//! methods set one field each.
//!
//! ```ignore
//! use anneal_guest::types::AgentRequest;
//! let first = AgentRequest::new("prometheus-cast");
//! let again = AgentRequest::new("prometheus-cast").with_directives(momus_findings);
//! let variant = AgentRequest::new("prometheus-alloy").with_lens("defensive");
//! let rewrite = AgentRequest::new("prometheus-temper").with_rewrite(plan, feedback).with_depth(1);
//! ```
use crate::types::{AgentRequest, Category, Envelope, Plan};

impl AgentRequest {
    /// A request for `role` (`prometheus-cast`, `prometheus-alloy`, `prometheus-temper`; the
    /// host refuses other roles with `invalid-request`), everything else at its default:
    /// the run's planner category, no lens, no extra directives, no prior plan, feedback,
    /// scores or depth.
    pub fn new(role: impl Into<String>) -> Self {
        AgentRequest {
            role: role.into(),
            category: None,
            lens: None,
            extra_directives: Vec::new(),
            prior_plan: None,
            feedback: Vec::new(),
            scores: Vec::new(),
            depth: None,
        }
    }

    /// Overrides the run's planner category.
    pub fn with_category(mut self, category: Category) -> Self {
        self.category = Some(category);
        self
    }

    /// The bias lens of a `prometheus-alloy` plan (e.g. `defensive`, `minimalist`).
    pub fn with_lens(mut self, lens: impl Into<String>) -> Self {
        self.lens = Some(lens.into());
        self
    }

    /// Directives beyond the run's own (e.g. Momus findings folded in), in order.
    pub fn with_directives(mut self, directives: Vec<String>) -> Self {
        self.extra_directives = directives;
        self
    }

    /// A rewrite of `prior` in the light of `feedback` (the envelopes about it: Momus, the
    /// red team).
    pub fn with_rewrite(mut self, prior: Plan, feedback: Vec<Envelope>) -> Self {
        self.prior_plan = Some(prior);
        self.feedback = feedback;
        self
    }

    /// Every depth score so far (each 0–100), for a Temper-style rewrite.
    pub fn with_scores(mut self, scores: Vec<f64>) -> Self {
        self.scores = scores;
        self
    }

    /// The depth (0-based) the plan is written for.
    pub fn with_depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::types::{AgentRequest, Category};

    #[test]
    fn new_leaves_every_optional_field_empty_and_with_sets_one_each() {
        let r = AgentRequest::new("prometheus-cast");
        assert_eq!(r.role, "prometheus-cast");
        assert!(r.category.is_none() && r.lens.is_none() && r.prior_plan.is_none());
        assert!(r.extra_directives.is_empty() && r.feedback.is_empty() && r.scores.is_empty());
        assert!(r.depth.is_none());
        let r = AgentRequest::new("prometheus-alloy")
            .with_lens("defensive")
            .with_directives(vec!["d".into()])
            .with_category(Category::Deep)
            .with_scores(vec![70.0])
            .with_depth(2);
        assert_eq!(r.lens.as_deref(), Some("defensive"));
        assert_eq!(r.extra_directives, vec!["d".to_string()]);
        assert_eq!(r.category, Some(Category::Deep));
        assert_eq!((r.scores.len(), r.depth), (1, Some(2)));
    }
}
