//! Request statuses and the lifecycle rule: which status may follow which.

use serde::{Deserialize, Serialize};

/// The status of an access request, with the exact names users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RequestStatus {
    #[serde(rename = "Pending Approval")]
    PendingApproval,
    #[serde(rename = "Pending MFA")]
    PendingMfa,
    /// Approved, waiting for its start (a later start, or the next window
    /// of a recurring request).
    Scheduled,
    Granting,
    Active,
    Rejected,
    Revoking,
    Revoked,
    Expired,
    Failed,
}

impl RequestStatus {
    /// Every status, in the order the portal lists them.
    pub const ALL: [RequestStatus; 10] = [
        RequestStatus::PendingApproval,
        RequestStatus::PendingMfa,
        RequestStatus::Scheduled,
        RequestStatus::Granting,
        RequestStatus::Active,
        RequestStatus::Rejected,
        RequestStatus::Revoking,
        RequestStatus::Revoked,
        RequestStatus::Expired,
        RequestStatus::Failed,
    ];

    /// The name users see, which is also the wire name.
    pub const fn label(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "Pending Approval",
            RequestStatus::PendingMfa => "Pending MFA",
            RequestStatus::Scheduled => "Scheduled",
            RequestStatus::Granting => "Granting",
            RequestStatus::Active => "Active",
            RequestStatus::Rejected => "Rejected",
            RequestStatus::Revoking => "Revoking",
            RequestStatus::Revoked => "Revoked",
            RequestStatus::Expired => "Expired",
            RequestStatus::Failed => "Failed",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// No transition leaves a closed request.
    pub const fn is_closed(self) -> bool {
        matches!(
            self,
            RequestStatus::Rejected
                | RequestStatus::Revoked
                | RequestStatus::Expired
                | RequestStatus::Failed
        )
    }

    /// Whether a request may move from `self` to `next`.
    ///
    /// - waiting (Pending MFA, Pending Approval) ends in approval (Granting,
    ///   or Scheduled when the access starts later), rejection, cancellation
    ///   (Revoked) or the 7-day limit (Failed); MFA confirmed moves on to
    ///   Pending Approval;
    /// - Scheduled becomes Granting at its start; it ends Revoked when the
    ///   requester cancels it or an admin revokes it, and Expired when its
    ///   whole time passed before the worker could start it (the server was
    ///   down);
    /// - Granting ends Active, or Failed when the connector refuses;
    /// - Active ends through Revoking (revoke or expiry);
    /// - Revoking ends Revoked or Expired once access is removed, or goes
    ///   back to Scheduled when a window of a recurring request ended and
    ///   another one follows.
    pub const fn can_become(self, next: RequestStatus) -> bool {
        use RequestStatus::*;
        matches!(
            (self, next),
            (
                PendingMfa,
                PendingApproval | Scheduled | Granting | Revoked | Failed
            ) | (
                PendingApproval,
                Scheduled | Granting | Rejected | Revoked | Failed
            ) | (Scheduled, Granting | Revoked | Expired)
                | (Granting, Active | Failed)
                | (Active, Revoking)
                | (Revoking, Revoked | Expired | Scheduled)
        )
    }
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::RequestStatus::{self, *};

    const ALLOWED: &[(RequestStatus, RequestStatus)] = &[
        (PendingMfa, PendingApproval),
        (PendingMfa, Scheduled),
        (PendingMfa, Granting),
        (PendingMfa, Revoked),
        (PendingMfa, Failed),
        (PendingApproval, Scheduled),
        (PendingApproval, Granting),
        (PendingApproval, Rejected),
        (PendingApproval, Revoked),
        (PendingApproval, Failed),
        (Scheduled, Granting),
        (Scheduled, Revoked),
        (Scheduled, Expired),
        (Granting, Active),
        (Granting, Failed),
        (Active, Revoking),
        (Revoking, Revoked),
        (Revoking, Expired),
        (Revoking, Scheduled),
    ];

    #[test]
    fn every_allowed_transition_is_allowed_and_every_other_is_refused() {
        for from in RequestStatus::ALL {
            for to in RequestStatus::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn closed_statuses_have_no_way_out() {
        for from in RequestStatus::ALL.into_iter().filter(|s| s.is_closed()) {
            assert!(RequestStatus::ALL.iter().all(|to| !from.can_become(*to)));
        }
    }

    #[test]
    fn wire_names_are_the_names_users_see() {
        for status in RequestStatus::ALL {
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", status.label()));
            assert_eq!(RequestStatus::from_label(status.label()), Some(status));
        }
        assert_eq!(RequestStatus::from_label("pending"), None);
    }
}
