//! Deterministic data generators: same suite, same seed, same bytes on every machine.
//!
//! Every generator is a [`DocSource`]: a fixed number of documents addressable by index in any
//! order (the trainer shuffles indices; hashing walks them in order). A document carries its
//! tokens and the spans the evaluators need (name, attribute values).

pub mod augmentation;
pub mod generator;
pub mod mt19937;
pub mod names;
pub mod pools;
pub mod rng;
pub mod stream;
pub mod vocab;

pub use generator::{Generator, build};
pub use vocab::Vocab;

/// What a span of a document holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// The person's full name at the start of the document.
    Name,
    /// The value of attribute `i` (bioS: index into [`pools::ATTRIBUTES`], or [`pools::GENDER`]
    /// for the first pronoun; bioD: the attribute number).
    Value(u16),
    /// The answer of a Part 3.2 question (its hint included): trained on like a value.
    Answer,
}

/// Half-open token range `start..end` inside a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub kind: SpanKind,
    pub start: u32,
    pub end: u32,
}

/// One generated document (without the trailing end-of-document token).
#[derive(Clone, Debug, Default)]
pub struct Doc {
    pub tokens: Vec<u32>,
    pub spans: Vec<Span>,
}

impl Doc {
    pub fn clear(&mut self) {
        self.tokens.clear();
        self.spans.clear();
    }

    /// Appends `ids` and records them as a span of `kind`.
    fn push_span(&mut self, kind: SpanKind, ids: &[u32]) {
        let start = self.tokens.len() as u32;
        self.tokens.extend_from_slice(ids);
        self.spans.push(Span {
            kind,
            start,
            end: self.tokens.len() as u32,
        });
    }

    /// The tokens of the first span of `kind`.
    pub fn span_tokens(&self, kind: SpanKind) -> Option<&[u32]> {
        let span = self.spans.iter().find(|s| s.kind == kind)?;
        Some(&self.tokens[span.start as usize..span.end as usize])
    }
}

/// A finite, randomly addressable sequence of documents over one vocabulary.
pub trait DocSource: Send + Sync {
    fn vocab(&self) -> &Vocab;
    /// Number of distinct people behind the documents.
    fn people(&self) -> usize;
    /// Copies of the data (the exposures of `fresh` bioS and of bioD); documents are entry-major.
    fn entries(&self) -> u32;
    /// Documents in one entry (e.g. one biography of every person).
    fn docs_per_entry(&self) -> u64;
    fn num_docs(&self) -> u64 {
        u64::from(self.entries()) * self.docs_per_entry()
    }
    /// Writes document `index` (< `num_docs`) into `doc`, replacing its contents.
    fn doc(&self, index: u64, doc: &mut Doc);
    /// Kinds of documents that never share a window (Part 3.1's mixed training: biographies and
    /// questions); documents of one kind only by default.
    fn kinds(&self) -> u8 {
        1
    }
    /// The kind of document `index`, below [`DocSource::kinds`].
    fn kind(&self, _index: u64) -> u8 {
        0
    }
}

/// `DocSource` for a generator of `spec.docs` independent documents, one entry each, written by
/// its `document(index, doc)` (Part 4.1's tasks). The type needs `spec.docs` and `vocab` fields.
macro_rules! independent_documents {
    ($generator:ty) => {
        impl $crate::data::DocSource for $generator {
            fn vocab(&self) -> &$crate::data::Vocab {
                &self.vocab
            }
            fn people(&self) -> usize {
                self.spec.docs as usize
            }
            fn entries(&self) -> u32 {
                1
            }
            fn docs_per_entry(&self) -> u64 {
                self.spec.docs
            }
            fn doc(&self, index: u64, doc: &mut $crate::data::Doc) {
                self.document(index, doc);
            }
        }
    };
}
use independent_documents;

/// Declares each generator's module and registers its settings type, in the order `plm schema`
/// and error messages list them: adding a generator is its file and one line here.
macro_rules! generators {
    ($($module:ident :: $settings:ident),* $(,)?) => {
        $(pub mod $module;)*
        static GENERATORS: &[&dyn generator::Registered] =
            &[$(&generator::Entry::<$module::$settings>(std::marker::PhantomData)),*];
    };
}

generators! {
    bios::BiosSpec,
    qa::BiosQaSpec,
    mixed::BiosMixedSpec,
    bios_tasks::BiosTaskSpec,
    biod::BiodSpec,
    cfg::CfgSpec,
    depo::DepoSpec,
    brevo::BrevoSpec,
    mano::ManoSpec,
    copy::CopySpec,
    igsm::IgsmSpec,
}
