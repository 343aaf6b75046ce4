//! The rule of the request form's selection: at most 1,000 resources, and
//! "Select all" adds everything the current filters show, or nothing.

use gatehouse_shared::{catalog::ResourcePage, limits::MAX_RESOURCES_PER_FORM};

use crate::draft::{DraftResource, Selection};

/// Add one resource, unless the selection is full.
pub fn select_one(selected: &mut Selection, resource: DraftResource) -> Result<(), String> {
    if selected.contains_key(&resource.id) {
        return Ok(());
    }
    if selected.len() >= MAX_RESOURCES_PER_FORM {
        return Err(format!(
            "You can select at most {} resources. Clear some before adding more.",
            thousands(MAX_RESOURCES_PER_FORM as u64)
        ));
    }
    selected.insert(resource.id, resource);
    Ok(())
}

/// Add every resource the filters match; refuse (changing nothing) when that
/// would go past the limit. Returns how many were added.
pub fn select_all(selected: &mut Selection, matching: &ResourcePage) -> Result<usize, String> {
    let limit = thousands(MAX_RESOURCES_PER_FORM as u64);
    if matching.total > matching.items.len() as u64 {
        return Err(format!(
            "These filters show {} resources; you can select at most {limit}. Narrow the search or filters first.",
            thousands(matching.total)
        ));
    }
    let new: Vec<DraftResource> = matching
        .items
        .iter()
        .filter(|resource| !selected.contains_key(&resource.id))
        .map(DraftResource::from_resource)
        .collect();
    let after = selected.len() + new.len();
    if after > MAX_RESOURCES_PER_FORM {
        return Err(format!(
            "Selecting all would make {} selected; you can select at most {limit}. Clear your selection or narrow the filters first.",
            thousands(after as u64)
        ));
    }
    let added = new.len();
    selected.extend(new.into_iter().map(|resource| (resource.id, resource)));
    Ok(added)
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
    use gatehouse_shared::catalog::{Permission, Resource};

    fn resource(id: i64) -> Resource {
        Resource {
            id,
            name: format!("r{id}"),
            path: format!("p/{id}"),
            tags: Vec::new(),
            integration_id: 1,
            integration_name: "GitHub".into(),
            resource_type_id: 1,
            resource_type_name: "repository".into(),
            permissions: vec![
                Permission {
                    id: 1,
                    name: "read".into(),
                },
                Permission {
                    id: 2,
                    name: "write".into(),
                },
            ],
        }
    }

    fn page(range: std::ops::Range<i64>, total: u64) -> ResourcePage {
        ResourcePage {
            items: range.map(resource).collect(),
            total,
            offset: 0,
            limit: 1000,
        }
    }

    fn selection(range: std::ops::Range<i64>) -> Selection {
        range
            .map(|id| (id, DraftResource::from_resource(&resource(id))))
            .collect()
    }

    #[test]
    fn at_most_a_thousand_resources_can_be_selected() {
        let mut selected = selection(0..1000);
        assert!(select_one(&mut selected, DraftResource::from_resource(&resource(5))).is_ok());
        assert!(select_one(&mut selected, DraftResource::from_resource(&resource(1000))).is_err());
        assert_eq!(selected.len(), 1000);
    }

    #[test]
    fn a_selected_resource_asks_for_the_first_permission_offered() {
        let draft = DraftResource::from_resource(&resource(7));
        assert_eq!(draft.permission, "read");
        assert_eq!(draft.permissions, ["read", "write"]);
    }

    #[test]
    fn select_all_adds_what_the_filters_show() {
        let mut selected = selection(1..3);
        selected.extend(selection(99..100));
        assert_eq!(select_all(&mut selected, &page(1..6, 5)), Ok(3));
        assert_eq!(selected.len(), 6);
    }

    #[test]
    fn select_all_refuses_past_the_limit_and_changes_nothing() {
        let mut selected = selection(5000..5500);
        assert!(select_all(&mut selected, &page(0..600, 600)).is_err());
        assert_eq!(selected.len(), 500);
        assert!(select_all(&mut Selection::new(), &page(0..1000, 1500)).is_err());
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
