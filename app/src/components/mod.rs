//! Pieces shared by several pages.

mod beacon_line;
mod error_message;
mod lang_switch;
mod reroll_line;

pub use beacon_line::BeaconLine;
pub use error_message::{ErrorMessage, action_error};
pub use lang_switch::LangSwitch;
pub use reroll_line::RerollLine;
