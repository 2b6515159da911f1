//! One error type for input that cannot be used: what is wrong, in which field, on which line,
//! and, once attached, in which file. Every checker of the spec layer returns [`Invalid`] with a
//! field path relative to what it checks; callers prefix their own path with [`Invalid::within`].

use std::fmt;
use std::path::PathBuf;

/// What is wrong with some input, before it is attached to a file name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", field_prefix(field))]
pub struct Invalid {
    /// 1-based line of the fault, when the parser knows it.
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `scales.smoke.datasets[0].people`; empty for the whole input.
    pub field: String,
    pub message: String,
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("field `{field}`: ")
    }
}

impl Invalid {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line: None,
            field: field.into(),
            message: one_line(&message.into()),
        }
    }

    /// The same fault seen from the enclosing value: `prefix` goes in front of the field path.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = match (prefix.is_empty(), self.field.is_empty()) {
            (true, _) => self.field,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{}", self.field),
        };
        self
    }

    /// Attaches the file the input came from.
    pub fn in_file(self, file: impl Into<PathBuf>) -> InvalidFile {
        InvalidFile {
            file: file.into(),
            invalid: self,
        }
    }
}

/// Input that cannot be used, with the file, line and field at fault: one line,
/// `FILE[:LINE][: field `PATH`]: MESSAGE`.
#[derive(Debug, Clone, thiserror::Error)]
pub struct InvalidFile {
    pub file: PathBuf,
    pub invalid: Invalid,
}

impl fmt::Display for InvalidFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.invalid.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.invalid)
    }
}

/// Parser messages can span lines (a code excerpt); an error is one line.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
