//! Validation limits, the same numbers on both sides of the wire.

/// At most this many resources may be selected in one request form.
pub const MAX_RESOURCES_PER_FORM: usize = 1_000;
/// Largest page any list endpoint returns.
pub const MAX_PAGE_SIZE: u32 = 1_000;
/// Page size when the caller does not ask for one.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Longest search text accepted by list endpoints.
pub const MAX_SEARCH_LENGTH: usize = 200;
/// Longest user name accepted at log-in.
pub const MAX_USERNAME_LENGTH: usize = 64;
/// Longest password accepted at log-in (argon2 cost grows with input).
pub const MAX_PASSWORD_LENGTH: usize = 256;
/// Most values one multi-select filter may carry.
pub const MAX_FILTER_VALUES: usize = 100;
/// Most members a group may have (set by an admin or by SCIM).
pub const MAX_GROUP_MEMBERS: usize = 10_000;
