//! Who may do what with a request, as pure functions of the request's facts.
//! The server enforces them; the portal only mirrors them.

use crate::status::RequestStatus;

/// A request still Pending Approval or Pending MFA this many seconds after
/// it was submitted fails.
pub const PENDING_LIMIT: i64 = 7 * 24 * 3600;
/// The failure reason of such a request.
pub const PENDING_LIMIT_REASON: &str = "Pending approval for more than 7 days";

/// A flow's extension settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtendPolicy {
    pub enabled: bool,
    /// Seconds added by one extension.
    pub by: i64,
    pub max_count: i64,
    /// Extend is offered once expiry is at most this many seconds away.
    pub window: i64,
}

/// The facts about a request the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    pub status: RequestStatus,
    pub requester_id: i64,
    pub grantee_id: i64,
    /// Unix seconds; set once Active.
    pub expires_at: Option<i64>,
    pub extensions_used: i64,
    pub extend: ExtendPolicy,
}

impl RequestFacts {
    /// Someone else asked for this access on the grantee's behalf.
    pub fn is_delegated(&self) -> bool {
        self.requester_id != self.grantee_id
    }
}

/// The person acting: their id and whether they are an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub is_admin: bool,
}

/// Revoke ends Active access at once: the grantee may revoke their own, but
/// if someone else requested it on their behalf only that requester may; an
/// admin always may. A Scheduled request is revoked by an admin only (its
/// requester cancels it).
pub fn may_revoke(actor: Actor, request: &RequestFacts) -> bool {
    if request.status == RequestStatus::Scheduled {
        return actor.is_admin;
    }
    if request.status != RequestStatus::Active {
        return false;
    }
    if actor.is_admin {
        return true;
    }
    if request.is_delegated() {
        actor.id == request.requester_id
    } else {
        actor.id == request.grantee_id
    }
}

/// A requester may withdraw their own request while it waits, for approval
/// or for its start (Scheduled).
pub fn may_cancel(actor: Actor, request: &RequestFacts) -> bool {
    matches!(
        request.status,
        RequestStatus::PendingApproval | RequestStatus::PendingMfa | RequestStatus::Scheduled
    ) && actor.id == request.requester_id
}

/// Why extending is not possible, when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendRefusal {
    NotActive,
    NotYours,
    DisabledByFlow,
    MaximumReached,
    NotNearExpiry,
}

impl ExtendRefusal {
    pub fn message(self) -> &'static str {
        match self {
            ExtendRefusal::NotActive => "Only active access can be extended.",
            ExtendRefusal::NotYours => "Only the grantee or the requester can extend this access.",
            ExtendRefusal::DisabledByFlow => {
                "The access flow of this request does not allow extending."
            }
            ExtendRefusal::MaximumReached => {
                "This access has been extended the maximum number of times. Submit a new request to continue."
            }
            ExtendRefusal::NotNearExpiry => {
                "Extend becomes available when the access nears expiry."
            }
        }
    }
}

/// Extend is offered when the access nears expiry and the flow allows it,
/// up to the flow's maximum number of extensions.
pub fn check_extend(actor: Actor, request: &RequestFacts, now: i64) -> Result<(), ExtendRefusal> {
    if request.status != RequestStatus::Active {
        return Err(ExtendRefusal::NotActive);
    }
    if actor.id != request.grantee_id && actor.id != request.requester_id {
        return Err(ExtendRefusal::NotYours);
    }
    if !request.extend.enabled || request.extend.by <= 0 {
        return Err(ExtendRefusal::DisabledByFlow);
    }
    if request.extensions_used >= request.extend.max_count {
        return Err(ExtendRefusal::MaximumReached);
    }
    match request.expires_at {
        Some(expires_at) if expires_at - now <= request.extend.window => Ok(()),
        _ => Err(ExtendRefusal::NotNearExpiry),
    }
}

/// Expired, revoked or rejected requests can be requested again by their
/// requester, or by their grantee (who then needs a flow of their own).
pub fn may_request_again(actor: Actor, request: &RequestFacts) -> bool {
    matches!(
        request.status,
        RequestStatus::Expired | RequestStatus::Revoked | RequestStatus::Rejected
    ) && (actor.id == request.requester_id || actor.id == request.grantee_id)
}

/// Favorites are requests you submitted for yourself, once expired or revoked.
pub fn may_favorite(actor: Actor, request: &RequestFacts) -> bool {
    matches!(
        request.status,
        RequestStatus::Expired | RequestStatus::Revoked
    ) && actor.id == request.requester_id
        && actor.id == request.grantee_id
}

/// A request that holds (or waits to hold) access counts against a new
/// request for the same access: waiting for a decision or MFA, being
/// granted, or Active. Revoking and closed requests do not.
pub fn holds_or_awaits_access(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::PendingApproval
            | RequestStatus::PendingMfa
            | RequestStatus::Granting
            | RequestStatus::Active
    )
}

/// Whether holding a permission of rank `held` on a resource already gives
/// what asking for one of rank `asked` on the same resource would. A
/// resource type lists its permissions weakest first (e.g. read-only,
/// read-write, admin) and the rank is the position in that list: the same
/// order an approver narrowing a request may only go down.
pub fn permission_covers(held: i64, asked: i64) -> bool {
    held >= asked
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestStatus::*;

    const ALICE: Actor = Actor {
        id: 1,
        is_admin: false,
    };
    const BOB: Actor = Actor {
        id: 2,
        is_admin: false,
    };
    const CAROL_ADMIN: Actor = Actor {
        id: 3,
        is_admin: true,
    };

    fn request(status: RequestStatus, requester: i64, grantee: i64) -> RequestFacts {
        RequestFacts {
            status,
            requester_id: requester,
            grantee_id: grantee,
            expires_at: Some(10_000),
            extensions_used: 0,
            extend: ExtendPolicy {
                enabled: true,
                by: 3_600,
                max_count: 2,
                window: 900,
            },
        }
    }

    #[test]
    fn the_grantee_revokes_their_own_access() {
        assert!(may_revoke(ALICE, &request(Active, 1, 1)));
        assert!(!may_revoke(BOB, &request(Active, 1, 1)));
    }

    #[test]
    fn only_the_requester_can_revoke_a_delegated_request() {
        let delegated = request(Active, 2, 1);
        assert!(may_revoke(BOB, &delegated));
        assert!(
            !may_revoke(ALICE, &delegated),
            "the grantee of a delegated request may not"
        );
    }

    #[test]
    fn an_admin_can_revoke_any_active_access() {
        assert!(may_revoke(CAROL_ADMIN, &request(Active, 1, 2)));
        assert!(!may_revoke(CAROL_ADMIN, &request(Expired, 1, 2)));
    }

    #[test]
    fn only_waiting_requests_can_be_cancelled_and_only_by_their_requester() {
        assert!(may_cancel(ALICE, &request(PendingApproval, 1, 2)));
        assert!(may_cancel(ALICE, &request(PendingMfa, 1, 1)));
        assert!(!may_cancel(BOB, &request(PendingApproval, 1, 2)));
        assert!(!may_cancel(ALICE, &request(Active, 1, 1)));
    }

    #[test]
    fn a_scheduled_request_is_cancelled_by_its_requester_and_revoked_by_an_admin() {
        let scheduled = request(Scheduled, 1, 2);
        assert!(may_cancel(ALICE, &scheduled));
        assert!(!may_cancel(BOB, &scheduled), "the grantee may not cancel");
        assert!(may_revoke(CAROL_ADMIN, &scheduled));
        assert!(!may_revoke(ALICE, &scheduled), "the requester cancels");
        assert!(!may_revoke(BOB, &scheduled));
    }

    #[test]
    fn extend_is_offered_only_near_expiry() {
        let active = request(Active, 1, 1);
        assert_eq!(
            check_extend(ALICE, &active, 9_000),
            Err(ExtendRefusal::NotNearExpiry)
        );
        assert_eq!(check_extend(ALICE, &active, 9_100), Ok(()));
        assert_eq!(
            check_extend(BOB, &active, 9_100),
            Err(ExtendRefusal::NotYours)
        );
    }

    #[test]
    fn extend_is_refused_after_the_maximum_number_of_extensions() {
        let mut active = request(Active, 1, 1);
        active.extensions_used = 2;
        assert_eq!(
            check_extend(ALICE, &active, 9_500),
            Err(ExtendRefusal::MaximumReached)
        );
        active.extend.enabled = false;
        assert_eq!(
            check_extend(ALICE, &active, 9_500),
            Err(ExtendRefusal::DisabledByFlow)
        );
        assert_eq!(
            check_extend(ALICE, &request(Revoked, 1, 1), 9_500),
            Err(ExtendRefusal::NotActive)
        );
    }

    #[test]
    fn closed_requests_can_be_requested_again_by_requester_or_grantee() {
        for status in [Expired, Revoked, Rejected] {
            assert!(may_request_again(BOB, &request(status, 2, 1)));
            assert!(may_request_again(ALICE, &request(status, 2, 1)));
            assert!(!may_request_again(CAROL_ADMIN, &request(status, 2, 1)));
        }
        for status in [Failed, Active, PendingApproval] {
            assert!(!may_request_again(ALICE, &request(status, 1, 1)));
        }
    }

    #[test]
    fn favorites_are_only_your_own_expired_or_revoked_requests() {
        assert!(may_favorite(ALICE, &request(Expired, 1, 1)));
        assert!(may_favorite(ALICE, &request(Revoked, 1, 1)));
        assert!(!may_favorite(ALICE, &request(Rejected, 1, 1)));
        assert!(!may_favorite(ALICE, &request(Active, 1, 1)));
        assert!(
            !may_favorite(BOB, &request(Expired, 2, 1)),
            "made for someone else"
        );
        assert!(
            !may_favorite(ALICE, &request(Expired, 2, 1)),
            "made by someone else"
        );
    }

    #[test]
    fn a_permission_covers_itself_and_weaker_ones_only() {
        // read-only (0), read-write (1), admin (2) of one resource type.
        assert!(permission_covers(0, 0));
        assert!(permission_covers(1, 0));
        assert!(permission_covers(2, 1));
        assert!(!permission_covers(0, 1));
        assert!(!permission_covers(1, 2));
    }

    #[test]
    fn waiting_granting_and_active_requests_hold_access_closed_ones_do_not() {
        for status in [PendingApproval, PendingMfa, Granting, Active] {
            assert!(holds_or_awaits_access(status), "{status}");
        }
        for status in [Revoking, Revoked, Expired, Rejected, Failed] {
            assert!(!holds_or_awaits_access(status), "{status}");
        }
    }
}
