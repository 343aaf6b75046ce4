//! The request lists' state in the URL: the Status filter (repeated
//! `status=`) and the request whose details panel is open (`request=`).

use gatehouse_shared::RequestStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestListUrl {
    pub statuses: Vec<RequestStatus>,
    pub open: Option<i64>,
}

impl RequestListUrl {
    /// Read `?status=Active&status=Pending+Approval&request=12`; unknown values are ignored.
    pub fn parse(query: &str) -> Self {
        let mut url = Self::default();
        for pair in query.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = value.replace('+', " ").replace("%20", " ");
            match key {
                "status" => {
                    if let Some(status) = RequestStatus::from_label(&value)
                        && !url.statuses.contains(&status)
                    {
                        url.statuses.push(status);
                    }
                }
                "request" => url.open = value.parse().ok(),
                _ => {}
            }
        }
        url.statuses.sort();
        url
    }

    /// The query string (with `?`, or empty), statuses in the portal's order.
    pub fn to_query_string(&self) -> String {
        let mut statuses = self.statuses.clone();
        statuses.sort();
        let mut pairs: Vec<String> = statuses
            .iter()
            .map(|s| format!("status={}", s.label().replace(' ', "+")))
            .collect();
        if let Some(id) = self.open {
            pairs.push(format!("request={id}"));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    /// Add the status if absent, remove it if present.
    pub fn toggle(&mut self, status: RequestStatus) {
        if let Some(index) = self.statuses.iter().position(|s| *s == status) {
            self.statuses.remove(index);
        } else {
            self.statuses.push(status);
            self.statuses.sort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_filter_and_open_request_survive_the_url() {
        let url = RequestListUrl {
            statuses: vec![RequestStatus::PendingApproval, RequestStatus::Active],
            open: Some(12),
        };
        let query = url.to_query_string();
        assert_eq!(query, "?status=Pending+Approval&status=Active&request=12");
        let parsed = RequestListUrl::parse(&query);
        assert_eq!(
            parsed.statuses,
            [RequestStatus::PendingApproval, RequestStatus::Active]
        );
        assert_eq!(parsed.open, Some(12));
    }

    #[test]
    fn unknown_statuses_are_ignored_and_widgets_toggle() {
        let mut url = RequestListUrl::parse("?status=Nope&status=Pending%20MFA&request=x");
        assert_eq!(url.statuses, [RequestStatus::PendingMfa]);
        assert_eq!(url.open, None);
        url.toggle(RequestStatus::Active);
        url.toggle(RequestStatus::PendingMfa);
        assert_eq!(url.statuses, [RequestStatus::Active]);
        assert_eq!(RequestListUrl::default().to_query_string(), "");
    }
}
