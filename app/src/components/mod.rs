//! Pieces shared by several pages.

mod error_message;
mod lang_switch;

pub use error_message::{ErrorMessage, action_error};
pub use lang_switch::LangSwitch;
