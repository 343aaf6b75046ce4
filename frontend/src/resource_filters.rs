//! The By Resource list's search, filters and page, kept in the URL query
//! string so a reload or a shared link shows the same list.

/// Resources shown per page.
pub const PAGE_SIZE: u32 = 20;

/// What narrows the resource list (the same filters drive "Select all").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceFilters {
    pub search: String,
    pub resource_type_ids: Vec<i64>,
    pub permissions: Vec<String>,
}

impl ResourceFilters {
    pub fn is_empty(&self) -> bool {
        self.search.trim().is_empty()
            && self.resource_type_ids.is_empty()
            && self.permissions.is_empty()
    }
}

/// The list as the URL describes it: filters plus a 1-based page number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceListUrl {
    pub filters: ResourceFilters,
    pub page: u64,
}

impl Default for ResourceListUrl {
    fn default() -> Self {
        Self {
            filters: ResourceFilters::default(),
            page: 1,
        }
    }
}

impl ResourceListUrl {
    /// Read `?search=…&resource_type_id=1&permission=read-only&page=2`
    /// (leading `?` optional); unknown keys and malformed numbers are ignored.
    pub fn parse(query: &str) -> Self {
        let mut url = Self::default();
        for pair in query.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match decode(key).as_str() {
                "search" => url.filters.search = value,
                "resource_type_id" => {
                    if let Ok(id) = value.parse::<i64>()
                        && !url.filters.resource_type_ids.contains(&id)
                    {
                        url.filters.resource_type_ids.push(id);
                    }
                }
                "permission" if !value.is_empty() && !url.filters.permissions.contains(&value) => {
                    url.filters.permissions.push(value);
                }
                "page" => url.page = value.parse::<u64>().unwrap_or(1).max(1),
                _ => {}
            }
        }
        url
    }

    /// The query string (with `?`, or empty when nothing is set), omitting defaults.
    pub fn to_query_string(&self) -> String {
        let mut pairs = Vec::new();
        if !self.filters.search.is_empty() {
            pairs.push(format!("search={}", encode(&self.filters.search)));
        }
        for id in &self.filters.resource_type_ids {
            pairs.push(format!("resource_type_id={id}"));
        }
        for permission in &self.filters.permissions {
            pairs.push(format!("permission={}", encode(permission)));
        }
        if self.page > 1 {
            pairs.push(format!("page={}", self.page));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    /// Offset of the first resource on this page.
    pub fn offset(&self) -> u64 {
        (self.page.max(1) - 1).saturating_mul(u64::from(PAGE_SIZE))
    }
}

/// Percent-encode everything but unreserved characters (`application/x-www-form-urlencoded`, space as `+`).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Undo [`encode`]; a malformed escape is kept as typed.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_survive_a_round_trip_through_the_url() {
        let url = ResourceListUrl {
            filters: ResourceFilters {
                search: "billing invoices 50% & more/ü".into(),
                resource_type_ids: vec![1, 2],
                permissions: vec!["read-only".into(), "admin".into()],
            },
            page: 3,
        };
        let query = url.to_query_string();
        assert_eq!(ResourceListUrl::parse(&query), url);
    }

    #[test]
    fn an_empty_url_is_the_first_page_without_filters() {
        assert_eq!(ResourceListUrl::parse(""), ResourceListUrl::default());
        assert_eq!(ResourceListUrl::default().to_query_string(), "");
    }

    #[test]
    fn malformed_values_are_ignored() {
        let url = ResourceListUrl::parse("?resource_type_id=x&page=-2&page=0&search=%zz");
        assert!(url.filters.resource_type_ids.is_empty());
        assert_eq!(url.page, 1);
        assert_eq!(url.filters.search, "%zz");
    }
}
