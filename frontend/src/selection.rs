//! The rule of the request form's selection: at most 1,000 resources, and
//! "Select all" adds everything the current filters show, or nothing.

use std::collections::BTreeSet;

use gatehouse_shared::{catalog::ResourceIds, limits::MAX_RESOURCES_PER_FORM};

/// Add one resource, unless the selection is full.
pub fn select_one(selected: &mut BTreeSet<i64>, id: i64) -> Result<(), String> {
    if selected.contains(&id) {
        return Ok(());
    }
    if selected.len() >= MAX_RESOURCES_PER_FORM {
        return Err(format!(
            "You can select at most {} resources. Clear some before adding more.",
            thousands(MAX_RESOURCES_PER_FORM as u64)
        ));
    }
    selected.insert(id);
    Ok(())
}

/// Add every resource the filters match; refuse (changing nothing) when that
/// would go past the limit. Returns how many were added.
pub fn select_all(selected: &mut BTreeSet<i64>, matching: &ResourceIds) -> Result<usize, String> {
    let limit = thousands(MAX_RESOURCES_PER_FORM as u64);
    if matching.total > matching.ids.len() as u64 {
        return Err(format!(
            "These filters show {} resources; you can select at most {limit}. Narrow the search or filters first.",
            thousands(matching.total)
        ));
    }
    let new: Vec<i64> = matching
        .ids
        .iter()
        .copied()
        .filter(|id| !selected.contains(id))
        .collect();
    let after = selected.len() + new.len();
    if after > MAX_RESOURCES_PER_FORM {
        return Err(format!(
            "Selecting all would make {} selected; you can select at most {limit}. Clear your selection or narrow the filters first.",
            thousands(after as u64)
        ));
    }
    selected.extend(new.iter().copied());
    Ok(new.len())
}

/// `1234` → `"1,234"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "1 resource", "68 resources".
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::Range<i64>) -> ResourceIds {
        let ids: Vec<i64> = range.collect();
        ResourceIds {
            total: ids.len() as u64,
            ids,
        }
    }

    #[test]
    fn at_most_a_thousand_resources_can_be_selected() {
        let mut selected: BTreeSet<i64> = (0..1000).collect();
        assert!(select_one(&mut selected, 5).is_ok());
        assert!(select_one(&mut selected, 1000).is_err());
        assert_eq!(selected.len(), 1000);
    }

    #[test]
    fn select_all_adds_what_the_filters_show() {
        let mut selected: BTreeSet<i64> = [1, 2, 99].into();
        assert_eq!(select_all(&mut selected, &ids(1..6)), Ok(3));
        assert_eq!(selected.len(), 6);
    }

    #[test]
    fn select_all_refuses_past_the_limit_and_changes_nothing() {
        let mut selected: BTreeSet<i64> = (5000..5500).collect();
        assert!(select_all(&mut selected, &ids(0..600)).is_err());
        assert_eq!(selected.len(), 500);
        let capped = ResourceIds {
            ids: (0..1000).collect(),
            total: 1500,
        };
        assert!(select_all(&mut BTreeSet::new(), &capped).is_err());
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(count_of(1, "resource", "resources"), "1 resource");
        assert_eq!(count_of(68, "resource", "resources"), "68 resources");
    }
}
