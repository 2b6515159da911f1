//! Where a field sits in suite text. The checks that run after parsing (suite structure, each
//! generator's settings) name a field path such as `scales.smoke.datasets[0].from`; this finds
//! its line, so their errors read `FILE:LINE: field …` as the TOML parser's own errors do.

use toml::de::{DeTable, DeValue};

/// 1-based line holding byte `offset` of `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    1 + text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The line of `field` in `text`: the line of its key, or of the deepest part of the path that
/// the text holds (a missing field points at its table). `None` when the text does not parse or
/// the path names nothing in it.
pub fn line_of_field(text: &str, field: &str) -> Option<usize> {
    let document = DeTable::parse(text).ok()?;
    let mut table: &DeTable = document.get_ref();
    let mut line = None;
    for segment in field.split('.') {
        let (key, indices) = split_indices(segment);
        let Some((name, mut value)) = table.iter().find(|(name, _)| **name.get_ref() == *key)
        else {
            break;
        };
        line = Some(line_at(text, name.span().start));
        for index in indices {
            match value.get_ref() {
                DeValue::Array(items) if index < items.len() => {
                    value = &items[index];
                    line = Some(line_at(text, value.span().start));
                }
                _ => return line,
            }
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    line
}

/// `datasets[0][2]` → (`datasets`, [0, 2]); a segment without brackets has no indices.
fn split_indices(segment: &str) -> (&str, Vec<usize>) {
    let key_end = segment.find('[').unwrap_or(segment.len());
    let indices = segment[key_end..]
        .split(['[', ']'])
        .filter_map(|i| i.parse().ok())
        .collect();
    (&segment[..key_end], indices)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n\n[scales.smoke]\ndescription = \"d\"\n\n\
        [[scales.smoke.datasets]]\ngenerator = \"a\"\nfrom = 1\n\n\
        [[scales.smoke.datasets]]\ngenerator = \"b\"\nsteps = [1, 2]\n";

    #[test]
    fn fields_are_found_on_their_own_lines() {
        assert_eq!(line_of_field(TEXT, "name"), Some(1));
        assert_eq!(line_of_field(TEXT, "scales.smoke.description"), Some(4));
        assert_eq!(
            line_of_field(TEXT, "scales.smoke.datasets[0].from"),
            Some(8)
        );
        assert_eq!(
            line_of_field(TEXT, "scales.smoke.datasets[1].generator"),
            Some(11)
        );
        assert_eq!(
            line_of_field(TEXT, "scales.smoke.datasets[1].steps[1]"),
            Some(12)
        );
    }

    #[test]
    fn a_missing_field_points_at_its_table_and_an_unknown_path_at_nothing() {
        let table_line = line_of_field(TEXT, "scales.smoke.datasets[1]").unwrap();
        assert!((10..=11).contains(&table_line), "{table_line}");
        assert_eq!(
            line_of_field(TEXT, "scales.smoke.datasets[1].people"),
            Some(table_line)
        );
        assert_eq!(line_of_field(TEXT, "claims[0].id"), None);
        assert_eq!(line_of_field("not = [toml", "not"), None);
    }

    #[test]
    fn lines_count_from_one_at_every_line_start() {
        assert_eq!(line_at("a\nb", 0), 1);
        assert_eq!(line_at("a\nb", 2), 2);
        assert_eq!(line_at("a\nb", 99), 2);
    }
}
