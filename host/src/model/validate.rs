//! Placeholder until the validation module lands.
use super::Plan;
pub fn validate_plan(_p: &Plan) -> Result<(), Vec<String>> {
    Ok(())
}
