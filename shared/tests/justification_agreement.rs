//! The justification checks agree with a careful reader: over the labelled
//! set in `data/justifications.tsv`, each check matches the reader's verdict
//! on at least 90 % of the texts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gatehouse_shared::justification::evaluate;

const SET: &str = include_str!("data/justifications.tsv");
const HELD_OUT: &str = include_str!("data/justifications_heldout.tsv");
const AGREEMENT: f64 = 0.9;

struct Labelled<'a> {
    verdicts: [bool; 3],
    text: &'a str,
}

fn labelled() -> Vec<Labelled<'static>> {
    parse(SET)
}

fn parse(set: &'static str) -> Vec<Labelled<'static>> {
    set.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.splitn(4, '\t').collect();
            assert_eq!(fields.len(), 4, "malformed line: {line}");
            let flag = |f: &str| match f {
                "1" => true,
                "0" => false,
                other => panic!("verdict {other:?} is not 0 or 1 in: {line}"),
            };
            Labelled {
                verdicts: [flag(fields[0]), flag(fields[1]), flag(fields[2])],
                text: fields[3],
            }
        })
        .collect()
}

#[test]
fn each_check_agrees_with_a_careful_reader_on_nine_texts_in_ten() {
    let set = labelled();
    assert!(set.len() >= 60, "the set should hold at least 60 texts");
    agree(&set, AGREEMENT);
}

/// Texts written after the rules, never used to tune them: the figure is
/// printed (BENCHMARKS.md) and held to a lower floor.
#[test]
fn on_held_out_texts_each_check_still_agrees_mostly() {
    let set = parse(HELD_OUT);
    assert!(set.len() >= 20);
    agree(&set, 0.8);
}

fn agree(set: &[Labelled<'static>], floor: f64) {
    let names = ["describes_task", "explains_access_level", "includes_ticket"];
    let mut agreed = [0usize; 3];
    let mut disagreements = Vec::new();
    for item in set {
        let verdict = evaluate(item.text);
        let ours = [
            verdict.describes_task,
            verdict.explains_access_level,
            verdict.includes_ticket,
        ];
        for check in 0..3 {
            if ours[check] == item.verdicts[check] {
                agreed[check] += 1;
            } else {
                disagreements.push(format!(
                    "{}: reader {} / ours {}: {}",
                    names[check], item.verdicts[check], ours[check], item.text
                ));
            }
        }
    }
    for check in 0..3 {
        let share = agreed[check] as f64 / set.len() as f64;
        println!("{}: {:.1} % of {}", names[check], share * 100.0, set.len());
        assert!(
            share >= floor,
            "{} agrees on {:.1} % only; disagreements:\n{}",
            names[check],
            share * 100.0,
            disagreements.join("\n")
        );
    }
    println!("disagreements:\n{}", disagreements.join("\n"));
}

#[test]
fn the_set_holds_both_verdicts_for_every_check() {
    let set = labelled();
    for check in 0..3 {
        assert!(set.iter().any(|item| item.verdicts[check]));
        assert!(set.iter().any(|item| !item.verdicts[check]));
    }
}
