//! Small building blocks the pages share.

pub mod app_shell;
pub mod error_alert;
pub mod main_nav;
pub mod multi_select;
pub mod page_title;
pub mod pager;
pub mod resource_row;
pub mod search_field;
pub mod signed_in;
