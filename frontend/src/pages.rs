//! One module per page of the portal.

pub mod login_page;
pub mod new_request_page;
pub mod not_found_page;
