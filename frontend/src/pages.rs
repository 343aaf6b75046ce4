//! One module per page of the portal.

pub mod admin;
pub mod approvals_page;
pub mod delegated_requests_page;
pub mod favorites_page;
pub mod login_page;
pub mod my_access_page;
pub mod my_requests_page;
pub mod new_request_bundles_page;
pub mod new_request_details_page;
pub mod new_request_page;
pub mod not_found_page;
