//! Justification feedback: does the text describe the task, explain why this
//! level of access is needed, and name a ticket? The portal shows the verdict
//! as the requester types; the server computes the same verdict and stores it.
//!
//! The checks read the text the way an approver does, not word by word:
//! filler ("need access", "please", "for work") and circular reasons
//! ("because I need it") count for nothing, a task is concrete work on a
//! named thing, and a reason is a cause or purpose with content of its own
//! ("because the job failed", "to restart the workers", "read-only is enough
//! to inspect the rows", "the restore needs admin"). `shared/tests/data/
//! justifications.tsv` holds a careful reader's verdicts; a test keeps this
//! function in agreement with them.

use serde::{Deserialize, Serialize};

/// The three checks and whether all hold (the indicator turns green).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JustificationFeedback {
    /// Names the work: concrete words about a task (debugging, reviewing,
    /// restarting …) and what it is about, beyond "need access".
    pub describes_task: bool,
    /// Gives a reason of substance: a cause ("because the export failed"),
    /// a purpose ("to restart the workers") or why the level suffices or is
    /// required ("read-only is enough to inspect", "the restore needs admin").
    pub explains_access_level: bool,
    /// Contains a ticket ID such as `OPS-123`, `#4521` or `INC0012345`.
    pub includes_ticket: bool,
    pub complete: bool,
}

/// Words that say nothing about the work or the reason on their own.
const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "i'm",
    "im",
    "i'll",
    "i've",
    "me",
    "my",
    "mine",
    "we",
    "we're",
    "our",
    "us",
    "you",
    "your",
    "it",
    "its",
    "it's",
    "this",
    "that",
    "these",
    "those",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "am",
    "to",
    "of",
    "in",
    "on",
    "at",
    "for",
    "with",
    "from",
    "by",
    "and",
    "or",
    "but",
    "so",
    "as",
    "if",
    "then",
    "than",
    "into",
    "about",
    "some",
    "any",
    "all",
    "just",
    "also",
    "please",
    "pls",
    "plz",
    "asap",
    "can",
    "could",
    "would",
    "will",
    "should",
    "do",
    "does",
    "did",
    "doing",
    "have",
    "has",
    "had",
    "having",
    "get",
    "got",
    "getting",
    "give",
    "grant",
    "want",
    "wanted",
    "like",
    "need",
    "needs",
    "needed",
    "needing",
    "require",
    "required",
    "requires",
    "requesting",
    "request",
    "requested",
    "access",
    "accessing",
    "permission",
    "permissions",
    "temporary",
    "temp",
    "quick",
    "quickly",
    "urgent",
    "urgently",
    "now",
    "today",
    "thanks",
    "thank",
    "hi",
    "hello",
    "see",
    "ticket",
    "work",
    "working",
    "job",
    "stuff",
    "thing",
    "things",
    "something",
    "anything",
    "nothing",
    "everything",
    "bit",
    "time",
    "again",
    "same",
    "last",
    "still",
    "really",
    "very",
    "only",
    "read",
    "reading",
    "write",
    "writing",
    "admin",
    "readonly",
    "read-only",
    "read-write",
    "write-access",
    "rw",
    "ro",
    "level",
    "one",
    "who",
    "which",
    "what",
    "why",
    "there",
    "here",
    "not",
    "no",
    "don't",
    "can't",
    "let",
    "lets",
    "ok",
    "okay",
    "they",
    "them",
    "their",
    "he",
    "she",
    "his",
    "her",
    "manager",
    "boss",
    "told",
    "asked",
    "said",
    "discussed",
    "approve",
    "approved",
    "because",
    "since",
    "while",
    "when",
    "until",
    "before",
    "after",
    "help",
    "use",
    "using",
    "project",
    "team",
    "prod",
    "production",
    "db",
    "database",
    "being",
    "please",
    "whatever",
    "etc",
    "usual",
    "thx",
    "ty",
    "enough",
    "fine",
    "able",
];

/// Words (or their starts, with a trailing `*`) that name work being done.
const TASK_WORDS: &[&str] = &[
    "debug*",
    "investigat*",
    "fix*",
    "deploy*",
    "migrat*",
    "review*",
    "audit*",
    "export*",
    "import*",
    "report*",
    "incident*",
    "outage*",
    "rotat*",
    "restor*",
    "backfill*",
    "check*",
    "analy*",
    "updat*",
    "patch*",
    "upgrad*",
    "releas*",
    "onboard*",
    "support*",
    "quer*",
    "reconcil*",
    "close",
    "closing",
    "test*",
    "verif*",
    "troubleshoot*",
    "inspect*",
    "look*",
    "run",
    "running",
    "re-run*",
    "rerun*",
    "restart*",
    "monitor*",
    "clean*",
    "delet*",
    "remov*",
    "add",
    "adding",
    "creat*",
    "configur*",
    "prepar*",
    "pull*",
    "count*",
    "compar*",
    "diagnos*",
    "on-call",
    "oncall",
    "hotfix*",
    "rollback*",
    "correct*",
    "repair*",
    "resolv*",
    "tun*",
    "optimi*",
    "refund*",
    "backup*",
    "alert*",
    "bug*",
    "error*",
    "crash*",
    "fail*",
    "broken",
    "down",
    "slow*",
    "missing",
    "investigation*",
    "cleanup*",
    "purge*",
    "replay*",
    "retry*",
    "benchmark*",
    "profil*",
];

/// Verbs that, after "to", make a purpose ("… to restart the workers").
/// Verbs of mere access (read, see, get, use, access) say nothing more.
const PURPOSE_VERBS: &[&str] = &[
    "inspect",
    "check",
    "fix",
    "push",
    "pull",
    "deploy",
    "update",
    "correct",
    "restart",
    "rotate",
    "compare",
    "reconcile",
    "verify",
    "find",
    "export",
    "import",
    "debug",
    "investigate",
    "run",
    "rerun",
    "re-run",
    "restore",
    "backfill",
    "migrate",
    "add",
    "remove",
    "delete",
    "create",
    "change",
    "modify",
    "patch",
    "apply",
    "query",
    "count",
    "review",
    "audit",
    "test",
    "tune",
    "analyse",
    "analyze",
    "diagnose",
    "troubleshoot",
    "confirm",
    "validate",
    "clean",
    "purge",
    "release",
    "merge",
    "list",
    "trace",
    "reproduce",
    "measure",
    "monitor",
    "understand",
    "answer",
    "prepare",
    "build",
    "load",
    "copy",
    "move",
    "rename",
    "configure",
    "reset",
    "unlock",
    "close",
    "reopen",
    "refund",
    "cancel",
    "process",
    "handle",
    "resolve",
    "replay",
    "retry",
    "drop",
    "truncate",
    "insert",
    "upgrade",
    "downgrade",
    "rollback",
    "revert",
    "scale",
    "stop",
    "start",
    "kill",
    "provision",
    "onboard",
    "offboard",
    "extract",
    "download",
    "upload",
    "sync",
    "grant",
    "revoke",
    "recover",
    "repair",
    "edit",
    "fill",
    "backport",
    "approve",
    "explain",
    "identify",
    "locate",
    "collect",
    "gather",
    "calculate",
    "compute",
    "sum",
    "total",
    "tally",
    "match",
    "cross-check",
    "spot",
    "confirm",
];

/// Markers introducing a cause or purpose; what follows them must have content.
const REASON_MARKERS: &[&str] = &[
    "because",
    "since",
    "so that",
    "so i can",
    "so we can",
    "so they can",
    "in order to",
    "otherwise",
    "lets me",
    "let me",
    "allows me to",
    "allow me to",
    "enables",
    "due to",
    "given that",
    "why",
    "as i",
    "as we",
    "as it",
    "as the",
    "as they",
    "which means",
];

/// Words after a marker that only restate the wish for access.
const CIRCULAR: &[&str] = &[
    "need", "needs", "access", "want", "job", "work", "asked", "told", "manager", "urgent",
    "required", "it", "that",
];

/// Level words a "… needs write"/"requires admin" clause may name.
const LEVEL_WORDS: &[&str] = &[
    "read",
    "write",
    "admin",
    "read-only",
    "readonly",
    "read-write",
    "delete",
    "owner",
    "root",
    "superuser",
    "elevated",
    "edit",
    "permission",
    "privileges",
    "rights",
];

/// Small words that carry no object of their own.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "it", "its", "this", "that", "my", "our", "their", "them", "some", "any",
    "and", "or", "with", "to", "of", "in", "on", "at", "for", "asap", "please", "pls", "now",
    "today", "it's", "me", "us", "i", "we", "up", "out",
];

/// Words a "… needs" clause may not follow: the requester's own wish.
const WISHERS: &[&str] = &[
    "i", "we", "you", "i'm", "just", "really", "still", "also", "please", "pls", "access", "they",
    "only", "urgently", "so", "and", "team", "manager",
];

const NEED_WORDS: &[&str] = &["need", "needs", "needed", "require", "requires", "required"];

const MIN_TASK_WORDS: usize = 3;

/// Judge a justification text.
pub fn evaluate(text: &str) -> JustificationFeedback {
    let clauses = clauses(text);
    let words: Vec<&str> = clauses.iter().flatten().map(String::as_str).collect();
    let content: Vec<&str> = words.iter().copied().filter(|w| is_content(w)).collect();
    let describes_task = content.len() >= MIN_TASK_WORDS && content.iter().any(|w| names_work(w));
    let explains_access_level = clauses.iter().any(|clause| gives_reason(clause));
    let includes_ticket = contains_ticket_id(text);
    JustificationFeedback {
        describes_task,
        explains_access_level,
        includes_ticket,
        complete: describes_task && explains_access_level && includes_ticket,
    }
}

/// The text as clauses of lower-case words, ticket IDs left out.
fn clauses(text: &str) -> Vec<Vec<String>> {
    text.replace(" - ", ", ")
        .split(['.', ';', ':', ',', '!', '?', '(', ')', '\n'])
        .map(|clause| {
            clause
                .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'' && c != '#')
                .filter(|w| !is_ticket_token(w))
                .map(|w| {
                    w.trim_matches(|c| c == '-' || c == '\'' || c == '#')
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|clause| !clause.is_empty())
        .collect()
}

fn is_content(word: &str) -> bool {
    word.chars().count() >= 2 && word.chars().any(char::is_alphabetic) && !FILLER.contains(&word)
}

fn names_work(word: &str) -> bool {
    (word.ends_with("ing") && word.chars().count() >= 6)
        || TASK_WORDS.iter().any(|task| match task.strip_suffix('*') {
            Some(stem) => word.starts_with(stem),
            None => word == *task,
        })
}

/// Whether a clause gives a cause or purpose with content of its own.
fn gives_reason(words: &[String]) -> bool {
    let joined = format!(" {} ", words.join(" "));
    let after_marker = REASON_MARKERS.iter().any(|marker| {
        let needle = format!(" {marker} ");
        joined.match_indices(&needle).any(|(at, _)| {
            joined[at + needle.len()..]
                .split(' ')
                .any(|w| is_content(w) && !CIRCULAR.contains(&w))
        })
    });
    if after_marker {
        return true;
    }
    words.iter().enumerate().any(|(i, word)| {
        let rest = &words[i + 1..];
        // "… to restart the workers", "for debugging the export job"
        let purpose = (word == "to" || word == "for")
            && rest.first().is_some_and(|verb| {
                if word == "to" {
                    PURPOSE_VERBS.contains(&verb.as_str())
                } else {
                    verb.ends_with("ing") && names_work(verb)
                }
            })
            && rest[1..].iter().any(|w| {
                w.chars().any(char::is_alphabetic) && !FUNCTION_WORDS.contains(&w.as_str())
            });
        // "the restore needs admin", "which requires write access"
        let level_needed = NEED_WORDS.contains(&word.as_str())
            && i > 0
            && !WISHERS.contains(&words[i - 1].as_str())
            && rest
                .iter()
                .take(2)
                .any(|w| LEVEL_WORDS.contains(&w.as_str()));
        purpose || level_needed
    })
}

/// A ticket ID is `KEY-123` (an upper-case key of 2+ letters or digits starting
/// with a letter, a dash, digits), `#123`, or a service-desk number such as
/// `INC0012345` (3+ upper-case letters, 4+ digits).
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
        let letters = token.chars().take_while(char::is_ascii_uppercase).count();
        let digits = token.len() - letters;
        return letters >= 3 && digits >= 4 && token[letters..].chars().all(|c| c.is_ascii_digit());
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
    fn bare_wishes_and_a_lone_ticket_pass_nothing_but_the_ticket() {
        for text in [
            "need access",
            "because I need it",
            "need it",
            "I need access because I need it",
        ] {
            let verdict = evaluate(text);
            assert!(!verdict.describes_task, "{text}");
            assert!(!verdict.explains_access_level, "{text}");
        }
        let ticket = evaluate("OPS-1423");
        assert!(!ticket.describes_task && !ticket.explains_access_level && ticket.includes_ticket);
    }

    #[test]
    fn a_task_without_a_reason_is_not_enough() {
        let verdict = evaluate("Looking into failed billing exports for JIRA-7 today");
        assert!(verdict.describes_task);
        assert!(!verdict.explains_access_level);
        assert!(verdict.includes_ticket);
        assert!(!verdict.complete);
    }

    #[test]
    fn why_the_level_suffices_is_a_reason() {
        assert!(evaluate("Read-only access is enough to inspect the rows").explains_access_level);
        assert!(
            evaluate("Restoring the CRM backup; the restore needs admin").explains_access_level
        );
        assert!(!evaluate("I need write access please").explains_access_level);
    }

    #[test]
    fn ticket_ids_take_the_usual_shapes() {
        assert!(contains_ticket_id("see OPS-12"));
        assert!(contains_ticket_id("fixes #4521."));
        assert!(contains_ticket_id("(SEC2-9)"));
        assert!(contains_ticket_id("INC0012345"));
        assert!(!contains_ticket_id("read-only access"));
        assert!(!contains_ticket_id("ops-12"));
        assert!(!contains_ticket_id("#abc"));
        assert!(!contains_ticket_id("A-1"));
        assert!(!contains_ticket_id("Q4"));
    }

    #[test]
    fn reasons_match_whole_words_only() {
        assert!(!evaluate("The sincere mustard needle report xyz").explains_access_level);
        assert!(evaluate("Rotating keys since the old ones leaked").explains_access_level);
    }
}
