//! Where the words are. Each surface keeps all its Greek and English texts in one module, as one
//! struct with a Greek and an English instance: the console in `console/texts.rs`, the portal in
//! `portal/texts.rs`, and the errors every surface shares (the API's above all) in [`errors`].
//! The words of the rules themselves (status and action labels, validation messages, emails)
//! are the domain's. Handlers hold no inline text.

pub mod errors;
