//! The iGSM world: four hierarchies of four categories (e.g. Zoo → Enclosure → Animal → Bone) and,
//! per category, a few lists of item names. Converted from the official generator's
//! `data_gen/categ.py` (MIT; `harness/resources/igsm/PROVENANCE.md`), every order kept, because
//! the official draws index into these lists.

use std::sync::OnceLock;

use serde::Deserialize;

/// The four hierarchies and every category's item lists.
#[derive(Deserialize)]
pub struct World {
    /// Each hierarchy's categories from the top layer down.
    pub hierarchies: Vec<Vec<String>>,
    pub categories: Vec<Category>,
}

#[derive(Deserialize)]
pub struct Category {
    pub name: String,
    pub lists: Vec<ItemList>,
}

#[derive(Deserialize)]
pub struct ItemList {
    pub name: String,
    pub items: Vec<String>,
}

impl World {
    /// The embedded official world.
    pub fn official() -> &'static World {
        static WORLD: OnceLock<World> = OnceLock::new();
        WORLD.get_or_init(|| {
            serde_json::from_str(include_str!("../../../resources/igsm/categories.json"))
                .expect("the embedded iGSM categories parse")
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
