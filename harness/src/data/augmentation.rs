//! The papers' augmentation names for bioS (Part 3.1, arXiv:2309.14316, App. A.1):
//! `single`, `permuteK`, `multiK`, `fullname` and their combinations, and Part 3.3's `fresh`.

use crate::spec::Invalid;

/// How the documents of each person vary (the papers' augmentation names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Augmentation {
    /// Documents per person.
    pub entries: u32,
    /// Each entry draws new templates (`multi`, `fresh`); otherwise all entries share entry 0's.
    pub fresh_wording: bool,
    /// Sentence order shuffled per entry; otherwise the canonical attribute order.
    pub permute: bool,
    /// The full name replaces every pronoun.
    pub fullname: bool,
}

/// Names accepted by [`Augmentation::parse`], for error messages.
pub const AUGMENTATIONS: &str = "single, single+fullname, single+permuteK, single+permuteK+fullname, multiK, multiK+permute, multiK+fullname, multiK+permute+fullname, fresh";

impl Augmentation {
    /// Parses a paper-style name; `entries` is required by `fresh` and forbidden otherwise.
    /// Errors name the field `augmentation` or `entries`.
    pub fn parse(name: &str, entries: Option<u32>) -> Result<Self, Invalid> {
        let unknown = || {
            Invalid::field(
                "augmentation",
                format!("unknown augmentation `{name}`; allowed: {AUGMENTATIONS} (K ≥ 1)"),
            )
        };
        let mut parts = name.split('+');
        let base = parts.next().unwrap_or_default();
        let modifiers: Vec<&str> = parts.collect();
        let count = |prefix: &str, text: &str| {
            text.strip_prefix(prefix)
                .and_then(|k| k.parse::<u32>().ok())
                .filter(|&k| k >= 1)
        };
        let fullname = modifiers.last() == Some(&"fullname");
        let middle = &modifiers[..modifiers.len() - usize::from(fullname)];
        let parsed = match (base, middle) {
            ("fresh", []) if !fullname => {
                let entries = entries.filter(|&e| e >= 1).ok_or_else(|| {
                    Invalid::field(
                        "entries",
                        "`fresh` needs `entries` ≥ 1 (the number of exposures)",
                    )
                })?;
                return Ok(Self {
                    entries,
                    fresh_wording: true,
                    permute: true,
                    fullname: false,
                });
            }
            ("single", []) => Self {
                entries: 1,
                fresh_wording: false,
                permute: false,
                fullname,
            },
            ("single", [p]) => Self {
                entries: count("permute", p).ok_or_else(unknown)?,
                fresh_wording: false,
                permute: true,
                fullname,
            },
            (multi, []) => Self {
                entries: count("multi", multi).ok_or_else(unknown)?,
                fresh_wording: true,
                permute: false,
                fullname,
            },
            (multi, ["permute"]) => Self {
                entries: count("multi", multi).ok_or_else(unknown)?,
                fresh_wording: true,
                permute: true,
                fullname,
            },
            _ => return Err(unknown()),
        };
        match entries {
            Some(_) => Err(Invalid::field(
                "entries",
                format!("`{name}` fixes the number of entries; remove `entries`"),
            )),
            None => Ok(parsed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmentation_names_parse_to_the_papers_meaning() {
        let parse = |name, entries| Augmentation::parse(name, entries);
        assert_eq!(
            parse("single", None).unwrap(),
            Augmentation {
                entries: 1,
                fresh_wording: false,
                permute: false,
                fullname: false
            }
        );
        assert_eq!(
            parse("single+permute5+fullname", None).unwrap(),
            Augmentation {
                entries: 5,
                fresh_wording: false,
                permute: true,
                fullname: true
            }
        );
        assert_eq!(
            parse("multi2+permute", None).unwrap(),
            Augmentation {
                entries: 2,
                fresh_wording: true,
                permute: true,
                fullname: false
            }
        );
        assert_eq!(
            parse("multi5+fullname", None).unwrap(),
            Augmentation {
                entries: 5,
                fresh_wording: true,
                permute: false,
                fullname: true
            }
        );
        assert_eq!(
            parse("fresh", Some(7)).unwrap(),
            Augmentation {
                entries: 7,
                fresh_wording: true,
                permute: true,
                fullname: false
            }
        );
        assert_eq!(parse("fresh", None).unwrap_err().field, "entries");
        assert_eq!(parse("multi5", Some(3)).unwrap_err().field, "entries");
        for bad in [
            "multi",
            "multi0",
            "single+permute",
            "double",
            "multi5+fullname+permute",
            "fresh+fullname",
            "",
        ] {
            assert_eq!(parse(bad, None).unwrap_err().field, "augmentation", "{bad}");
        }
    }
}
