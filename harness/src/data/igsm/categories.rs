//! The iGSM world: four hierarchies of four categories (e.g. Zoo → Enclosure → Animal → Bone) and,
//! per category, a few lists of item names. Converted from the official generator's
//! `data_gen/categ.py` (MIT; `harness/resources/igsm/PROVENANCE.md`), every order kept, because
//! the official draws index into these lists.

use crate::spec::Invalid;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

/// The four hierarchies and every category's item lists.
#[derive(Clone, Deserialize)]
pub struct World {
    /// Each hierarchy's categories from the top layer down.
    pub hierarchies: Vec<Vec<String>>,
    pub categories: Vec<Category>,
}

#[derive(Clone, Deserialize)]
pub struct Category {
    pub name: String,
    pub lists: Vec<ItemList>,
}

#[derive(Clone, Deserialize)]
pub struct ItemList {
    pub name: String,
    pub items: Vec<String>,
}

impl World {
    /// The embedded official world.
    pub fn official() -> Arc<World> {
        static WORLD: OnceLock<Arc<World>> = OnceLock::new();
        WORLD
            .get_or_init(|| {
                Arc::new(
                    serde_json::from_str(include_str!("../../../resources/igsm/categories.json"))
                        .expect("the embedded iGSM categories parse"),
                )
            })
            .clone()
    }

    /// A smaller world: only the hierarchies whose top category is named, each category's first
    /// `lists` item lists, each cut to its first `items` names. Errors name the setting at
    /// fault: `categorisations`, `lists` or `items`.
    pub fn restricted(
        hierarchies: &[String],
        lists: Option<usize>,
        items: Option<usize>,
    ) -> Result<World, Invalid> {
        let official = Self::official();
        let mut world = World {
            hierarchies: Vec::new(),
            categories: Vec::new(),
        };
        for top in hierarchies {
            let hierarchy = official
                .hierarchies
                .iter()
                .find(|h| &h[0] == top)
                .ok_or_else(|| {
                    let known: Vec<&str> =
                        official.hierarchies.iter().map(|h| h[0].as_str()).collect();
                    Invalid::field(
                        "categorisations",
                        format!(
                            "unknown categorisation `{top}` (known: {})",
                            known.join(", ")
                        ),
                    )
                })?;
            world.hierarchies.push(hierarchy.clone());
            for name in hierarchy {
                let mut category = Category {
                    name: name.clone(),
                    lists: official.lists(name).to_vec(),
                };
                if let Some(lists) = lists {
                    category.lists.truncate(lists);
                }
                if let Some(items) = items {
                    for list in &mut category.lists {
                        list.items.truncate(items);
                    }
                }
                world.categories.push(category);
            }
        }
        if world.hierarchies.is_empty() {
            return Err(Invalid::field(
                "categorisations",
                "no categorisation chosen",
            ));
        }
        if lists == Some(0) {
            return Err(Invalid::field(
                "lists",
                "lists = 0: every category needs an item list",
            ));
        }
        if let Some(items) = items
            && items < WIDEST_LAYER
        {
            return Err(Invalid::field(
                "items",
                format!(
                    "{items} items per list: a layer can be {WIDEST_LAYER} items wide, so at least {WIDEST_LAYER} are needed"
                ),
            ));
        }
        Ok(world)
    }

    /// Every word a problem over this world can name: categories and items.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().flat_map(|c| {
            std::iter::once(c.name.as_str()).chain(
                c.lists
                    .iter()
                    .flat_map(|l| l.items.iter().map(String::as_str)),
            )
        })
    }

    /// The item lists of one category.
    pub fn lists(&self, category: &str) -> &[ItemList] {
        &self
            .categories
            .iter()
            .find(|c| c.name == category)
            .unwrap_or_else(|| panic!("no iGSM category {category}"))
            .lists
    }
}

/// The most items a layer of the structure can have (the official widths are 2 to 4).
pub const WIDEST_LAYER: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every category of every hierarchy has lists long enough for the widest layer (4 items),
    /// and no name contains a period (the solution format splits on ". ").
    #[test]
    fn the_world_is_complete() {
        let world = World::official();
        assert_eq!(world.hierarchies.len(), 4);
        for hierarchy in &world.hierarchies {
            assert_eq!(hierarchy.len(), 4);
            for category in hierarchy {
                let lists = world.lists(category);
                assert!(!lists.is_empty(), "{category}");
                for list in lists {
                    assert!(list.items.len() >= 4, "{category}/{}", list.name);
                    assert!(list.items.iter().all(|item| !item.contains('.')));
                }
            }
        }
    }
}
