//! A deterministic word-level tokenizer over a generator's closed vocabulary.
//!
//! Splitting rule (the whole contract, tested as a round trip): text is split on spaces; from
//! each chunk the trailing punctuation marks `, . ; : ! ?` are peeled off as tokens of their own,
//! then a trailing possessive `'s` becomes the token `'s`. Detokenising joins tokens with single
//! spaces except before those attaching tokens. So `Arby's, Inc.` is `Arby` `'s` `,` `Inc` `.`.
//!
//! Ids are stable: special tokens first, then every word of the closed vocabulary in byte order
//! (and words a later extension added, after them in byte order: see [`Vocab::extended`]).
//! A vocabulary is built from *all* strings a generator can emit, not from the data it happened to
//! emit, so ids never depend on the seed or on N.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

/// Marks the end of a document in packed streams; always id 0.
pub const EOS: &str = "<eos>";
/// Fills unused window positions; never part of a document.
pub const PAD: &str = "<pad>";
const SPECIALS: [&str; 2] = [EOS, PAD];

/// Tokens that attach to the previous token without a space.
const ATTACHING: [&str; 7] = [",", ".", ";", ":", "!", "?", "'s"];
const PEELED_PUNCTUATION: [char; 6] = [',', '.', ';', ':', '!', '?'];

/// Splits `text` into word-level tokens (see the module docs for the rule).
pub fn split_words(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    for chunk in text.split_whitespace() {
        let mut word = chunk;
        let mut trailing = Vec::new();
        while let Some(last) = word
            .chars()
            .last()
            .filter(|c| PEELED_PUNCTUATION.contains(c))
        {
            let cut = word.len() - last.len_utf8();
            trailing.push(&word[cut..]);
            word = &word[..cut];
        }
        if word.len() > 2 && word.ends_with("'s") {
            tokens.push(&word[..word.len() - 2]);
            tokens.push("'s");
        } else if !word.is_empty() {
            tokens.push(word);
        }
        tokens.extend(trailing.into_iter().rev());
    }
    tokens
}

/// Joins tokens back into text; the inverse of [`split_words`] on text the generators produce.
pub fn join_words<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for token in tokens {
        if !text.is_empty() && !ATTACHING.contains(&token) {
            text.push(' ');
        }
        text.push_str(token);
    }
    text
}

/// A closed vocabulary: id ↔ token string.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Vocab {
    tokens: Vec<String>,
    #[serde(skip)]
    ids: HashMap<String, u32>,
}

impl Vocab {
    /// Builds the vocabulary of every word in `texts` (split with [`split_words`]).
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let words: BTreeSet<&str> = texts.into_iter().flat_map(split_words).collect();
        let tokens: Vec<String> = SPECIALS
            .iter()
            .copied()
            .chain(words.into_iter().filter(|w| !SPECIALS.contains(w)))
            .map(str::to_owned)
            .collect();
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Self { tokens, ids }
    }

    /// This vocabulary with the words of `texts` it lacks appended, in byte order: every
    /// existing id stays, so data tokenised before the extension keeps its bytes.
    pub fn extended<'a>(mut self, texts: impl IntoIterator<Item = &'a str>) -> Self {
        let words: BTreeSet<&str> = texts.into_iter().flat_map(split_words).collect();
        for word in words {
            if !self.ids.contains_key(word) {
                self.ids.insert(word.to_owned(), self.tokens.len() as u32);
                self.tokens.push(word.to_owned());
            }
        }
        self
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn eos(&self) -> u32 {
        0
    }

    pub fn pad(&self) -> u32 {
        1
    }

    /// The id of one word; panics on a word outside the closed vocabulary, which is a generator
    /// bug (the vocabulary is built from everything the generator can say).
    pub fn id(&self, word: &str) -> u32 {
        match self.ids.get(word) {
            Some(&id) => id,
            None => panic!("word {word:?} is outside the closed vocabulary"),
        }
    }

    /// Tokenises a text made of vocabulary words.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        split_words(text).into_iter().map(|w| self.id(w)).collect()
    }

    pub fn decode(&self, ids: &[u32]) -> String {
        join_words(ids.iter().map(|&id| self.tokens[id as usize].as_str()))
    }

    pub fn token(&self, id: u32) -> &str {
        &self.tokens[id as usize]
    }

    /// JSON form saved beside generated data: `{"tokens": [...]}`, id = position.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("vocabulary serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_punctuation_and_possessives() {
        assert_eq!(
            split_words("Arby's, Inc.. Yum! Brands in St. Louis, MO."),
            [
                "Arby", "'s", ",", "Inc", ".", ".", "Yum", "!", "Brands", "in", "St", ".", "Louis",
                ",", "MO", "."
            ]
        );
        assert_eq!(split_words("O'Brien's"), ["O'Brien", "'s"]);
    }

    #[test]
    fn join_inverts_split() {
        for text in [
            "Anna Lee O'Brien's employer is Macy's.",
            "He was born on March 3, 1950.",
            "Yum! Brands",
        ] {
            assert_eq!(join_words(split_words(text)), text);
        }
    }

    #[test]
    fn ids_are_sorted_after_specials_and_stable() {
        let vocab = Vocab::from_texts(["b a.", "c a"]);
        assert_eq!(vocab.tokens, ["<eos>", "<pad>", ".", "a", "b", "c"]);
        assert_eq!(vocab.encode("c b."), [5, 4, 2]);
        assert_eq!(vocab.decode(&[5, 4, 2]), "c b.");
    }
}
