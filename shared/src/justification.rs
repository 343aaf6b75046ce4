//! Justification feedback: does the text describe the task, explain why this
//! level of access is needed, and name a ticket? The portal shows the verdict
//! as the requester types; the server computes the same verdict and stores it.

use serde::{Deserialize, Serialize};

/// The three checks and whether all hold (the indicator turns green).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JustificationFeedback {
    /// Names the work: at least four words, at least 20 characters.
    pub describes_task: bool,
    /// Gives a reason ("because", "in order to", "need to", …) for the access.
    pub explains_access_level: bool,
    /// Contains a ticket ID such as `OPS-123` or `#4521`.
    pub includes_ticket: bool,
    pub complete: bool,
}

const MIN_TASK_WORDS: usize = 4;
const MIN_TASK_CHARS: usize = 20;

/// Words and phrases that introduce a reason; matched on whole words, lower case.
const REASON_MARKERS: &[&str] = &[
    "because",
    "since",
    "so that",
    "so i can",
    "so we can",
    "in order to",
    "need to",
    "needs to",
    "needed to",
    "need",
    "needs",
    "required",
    "requires",
    "require",
    "to be able to",
    "must",
    "have to",
    "has to",
    "otherwise",
];

/// Judge a justification text.
pub fn evaluate(text: &str) -> JustificationFeedback {
    let text = text.trim();
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '#' && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let describes_task = text.chars().count() >= MIN_TASK_CHARS
        && words
            .iter()
            .filter(|w| w.chars().any(char::is_alphabetic))
            .count()
            >= MIN_TASK_WORDS;
    let joined = format!(" {} ", words.join(" "));
    let explains_access_level = REASON_MARKERS
        .iter()
        .any(|marker| joined.contains(&format!(" {marker} ")));
    let includes_ticket = contains_ticket_id(text);
    JustificationFeedback {
        describes_task,
        explains_access_level,
        includes_ticket,
        complete: describes_task && explains_access_level && includes_ticket,
    }
}

/// A ticket ID is `KEY-123` (an upper-case key of 2+ letters or digits starting
/// with a letter, a dash, digits) or `#123`.
pub fn contains_ticket_id(text: &str) -> bool {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | ':' | '.')
    })
    .any(is_ticket_token)
}

fn is_ticket_token(token: &str) -> bool {
    if let Some(number) = token.strip_prefix('#') {
        return !number.is_empty() && number.chars().all(|c| c.is_ascii_digit());
    }
    let Some((key, number)) = token.split_once('-') else {
        return false;
    };
    let mut key_chars = key.chars();
    let starts_with_letter = key_chars.next().is_some_and(|c| c.is_ascii_uppercase());
    starts_with_letter
        && key.len() >= 2
        && key_chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_justification_turns_green() {
        let verdict = evaluate(
            "Debugging failed invoice exports for OPS-1423; I need read access because the job logs point at the invoices table",
        );
        assert!(verdict.describes_task);
        assert!(verdict.explains_access_level);
        assert!(verdict.includes_ticket);
        assert!(verdict.complete);
    }

    #[test]
    fn a_short_text_does_not_describe_a_task() {
        let verdict = evaluate("need it");
        assert!(!verdict.describes_task);
        assert!(verdict.explains_access_level);
        assert!(!verdict.complete);
    }

    #[test]
    fn a_task_without_a_reason_is_not_enough() {
        let verdict = evaluate("Looking into the billing database for JIRA-7 today");
        assert!(verdict.describes_task);
        assert!(!verdict.explains_access_level);
        assert!(verdict.includes_ticket);
        assert!(!verdict.complete);
    }

    #[test]
    fn ticket_ids_take_the_usual_shapes() {
        assert!(contains_ticket_id("see OPS-12"));
        assert!(contains_ticket_id("fixes #4521."));
        assert!(contains_ticket_id("(SEC2-9)"));
        assert!(!contains_ticket_id("read-only access"));
        assert!(!contains_ticket_id("ops-12"));
        assert!(!contains_ticket_id("#abc"));
        assert!(!contains_ticket_id("A-1"));
    }

    #[test]
    fn reasons_match_whole_words_only() {
        assert!(!evaluate("The sincere mustard needle report xyz").explains_access_level);
        assert!(evaluate("Rotating keys since the old ones leaked").explains_access_level);
    }
}
