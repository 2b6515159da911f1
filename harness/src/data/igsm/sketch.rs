//! The solution template and its hash, which split iGSM into train and test problems (Part 2.1
//! §2.4, arXiv:2407.20311): names become "Inst"/"Inter", numbers 0, letters are renamed in order
//! of appearance; the SHA-256 of that text mod 23 is the problem's bin. The official
//! `to_sketch` / `to_hash`, including their order of plain string replacements (some names
//! contain digits or are prefixes of others, so the order changes the text).

use sha2::{Digest, Sha256};

use super::problem::{Problem, all_symbols};
use super::text::MODULUS;

impl Problem {
    /// The solution template (the official `to_sketch(...)['sol']`).
    pub fn solution_template(&self) -> String {
        let mut sol = format!(" {}.", self.solution.join(". "));
        let all = self.all_params();
        for param in all.iter().filter(|p| p.is_instance()) {
            sol = sol.replace(&self.full_name(param), "Inst");
        }
        for param in all.iter().filter(|p| p.is_abstract()) {
            sol = sol.replace(&self.full_name(param), "Inter");
        }
        for number in (1..MODULUS).rev() {
            sol = sol.replace(&number.to_string(), "0");
        }
        let sol = sol.replace(';', ".");
        let symbols: Vec<String> = all_symbols().iter().map(char::to_string).collect();
        let is_symbol = |word: &str| symbols.iter().any(|s| s == word);
        let sentences: Vec<Vec<&str>> = sol.split(". ").map(|s| s.split(' ').collect()).collect();
        let mut seen: Vec<&str> = Vec::new();
        for word in sentences.iter().flatten() {
            if is_symbol(word) && !seen.contains(word) {
                seen.push(word);
            }
        }
        let renamed: Vec<String> = sentences
            .iter()
            .map(|words| {
                let words: Vec<&str> = words
                    .iter()
                    .map(|word| match seen.iter().position(|s| s == word) {
                        Some(at) => symbols[at].as_str(),
                        None => word,
                    })
                    .collect();
                words.join(" ")
            })
            .collect();
        renamed.join(". ")
    }

    /// The problem's bin in 0..23 (the official `to_hash()`).
    pub fn template_hash(&self) -> u32 {
        sha256_mod(&self.solution_template(), MODULUS)
    }
}

/// `int(sha256(text).hexdigest(), 16) % modulus`.
pub fn sha256_mod(text: &str, modulus: u32) -> u32 {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().fold(0u32, |rest, &byte| {
        ((rest << 8) + u32::from(byte)) % modulus
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python: `int(hashlib.sha256(s.encode()).hexdigest(), 16) % 23`. The first string is the
    /// template of the official first med problem of seed 42 (bin 0).
    #[test]
    fn hash_matches_python() {
        let template = " Define Inst as a. so a = 0. Define Inter as b. so b = a = 0.";
        assert_eq!(sha256_mod(template, 23), 0);
        assert_eq!(sha256_mod("abc", 23), 19);
    }
}
