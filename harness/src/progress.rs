//! Progress bars on stderr, one style for every long step (hidden automatically when stderr is
//! not a terminal, so logs and tests see none of it).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar labelled `prefix` counting `unit`s, with rate and time left.
pub fn bar(prefix: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix:>14}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} eta {{eta}}"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_owned());
    bar
}
