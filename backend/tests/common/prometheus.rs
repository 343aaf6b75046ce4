//! Reads `/metrics` as Prometheus would: with the Prometheus project's own
//! Python client parser (Debian's `python3-prometheus-client`, installed by
//! scripts/setup-test), which refuses text that does not parse.

use std::{
    collections::HashMap,
    io::Write,
    process::{Command, Stdio},
};

use serde::Deserialize;

const PARSER: &str = r#"
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "type": family.type, "labels": s.labels,
                    "value": None if math.isnan(s.value) else s.value})
print(json.dumps(out))
"#;

#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub labels: HashMap<String, String>,
    /// None for NaN.
    pub value: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Scrape {
    pub samples: Vec<Sample>,
}

impl Scrape {
    /// Parse the text format; panics with the parser's complaint when it does not parse.
    pub fn parse(text: &str) -> Self {
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", PARSER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 (Debian's) is needed; run scripts/setup-test");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "the Prometheus parser refused the metrics (scripts/setup-test installs python3-prometheus-client):\n{}\n--- text ---\n{text}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self {
            samples: serde_json::from_slice(&output.stdout).unwrap(),
        }
    }

    /// The value of the sample `name` having these labels (among others);
    /// NaN stands for NaN.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|sample| {
                sample.name == name
                    && labels.iter().all(|(label, value)| {
                        sample.labels.get(*label).map(String::as_str) == Some(*value)
                    })
            })
            .map(|sample| sample.value.unwrap_or(f64::NAN))
    }

    /// Like [`Scrape::value`], failing when there is no such sample.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
    }
}
