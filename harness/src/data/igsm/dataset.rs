//! iGSM as documents to train on: `problem <sol> solution <ans> answer`, word-level tokens.
//!
//! Document `i` is the first problem the official generator makes after `fix_seed(s_i)`, where
//! `s_i` is a 32-bit draw from the suite seed, the dataset name and `i` (so any document can be
//! made alone, in any order, and checked against the official code with its own seed). Retry
//! data (Part 2.2) then draws its mistakes from the same Python stream, as the official
//! `insert_retry` does. The solution (and answer) is one `Answer` span, so a `values-only` loss
//! trains on it alone; with masked retries, the withdrawn sentences are left out of the spans.

use std::sync::Arc;

use rand_core::Rng;

use super::World;
use super::official::{Generated, IdGenSettings, check_settings, generate};
use super::problem::Rngs;
use super::retry::{Sentence, with_retries};
use super::settings::{IgsmFormat, IgsmSpec, IgsmSplit};
use crate::data::generator::at_least_one;
use crate::data::rng::StreamKey;
use crate::data::{Doc, DocSource, Generator, Span, SpanKind, Vocab};
use crate::spec::Invalid;

/// Opens the solution.
pub const SOLUTION: &str = "<sol>";
/// Opens the answer.
pub const ANSWER: &str = "<ans>";

/// Every word of the problem and solution templates (our reading of the official formats).
const TEMPLATE_WORDS: &str = "The number of each equals more than times as much the sum \
    difference and How many does have ? Define as so = + - * ; . , 's <sol> <ans> [BACK]";

pub struct Igsm {
    spec: IgsmSpec,
    /// The dataset's name, which seeds its streams.
    name: String,
    key: StreamKey,
    world: Arc<World>,
    vocab: Vocab,
}

/// One evaluation problem and the prompt the model continues.
pub struct Tokenised {
    pub generated: Generated,
    /// `problem <sol>`.
    pub prompt: Vec<u32>,
}

impl Igsm {
    pub fn new(spec: &IgsmSpec, name: &str, seed: u64) -> Self {
        let world = Arc::new(world(spec).expect("the suite check accepted the world"));
        let numbers: Vec<String> = (0..super::text::MODULUS).map(|n| n.to_string()).collect();
        let letters: Vec<String> = super::problem::all_symbols()
            .iter()
            .map(char::to_string)
            .collect();
        // Names appear bare and as owners ("X's Y"): a name that itself ends in "'s" (Trader
        // Joe's) splits differently in the second form.
        let owners: Vec<String> = world.names().map(|name| format!("{name}'s")).collect();
        let vocab = Vocab::from_texts(
            std::iter::once(TEMPLATE_WORDS)
                .chain(world.names())
                .chain(owners.iter().map(String::as_str))
                .chain(numbers.iter().map(String::as_str))
                .chain(letters.iter().map(String::as_str)),
        );
        Self {
            spec: spec.clone(),
            name: name.to_owned(),
            key: StreamKey::new(seed, &["igsm", name]),
            world,
            vocab,
        }
    }

    pub fn spec(&self) -> &IgsmSpec {
        &self.spec
    }

    fn settings(&self, op: Option<usize>) -> IdGenSettings {
        IdGenSettings {
            max_op: self.spec.max_op,
            max_edge: self.spec.max_edge,
            op,
            perm_level: Some(self.spec.perm_level),
            detail_level: Some(self.spec.detail_level),
        }
    }

    /// The official seed of problem `index` of `stream` (training documents: the dataset's
    /// own stream; evaluation problems: another).
    fn seed_of(key: &StreamKey, index: u64) -> u32 {
        key.rng(index, 0).next_u32()
    }

    /// Problem `index` of the training documents, and the random streams after it.
    fn training_problem(&self, index: u64) -> (Generated, Rngs) {
        let mut rng = Rngs::fix_seed(Self::seed_of(&self.key, index));
        let bins: Vec<u32> = self.spec.split.bins().collect();
        let generated = generate(&self.world, &mut rng, &self.settings(None), &bins);
        (generated, rng)
    }

    /// Evaluation problem `index` with exactly `op` operations from the templates of `split`,
    /// on a stream of its own (so never a training document).
    pub fn eval_problem(&self, index: u64, op: usize, split: IgsmSplit) -> Tokenised {
        let split_name = format!("{split:?}");
        let key = StreamKey::new(
            0,
            &["igsm-eval", &self.name, &op.to_string(), &split_name],
        );
        let mut rng = Rngs::fix_seed(Self::seed_of(&key, index));
        let bins: Vec<u32> = split.bins().collect();
        let generated = generate(&self.world, &mut rng, &self.settings(Some(op)), &bins);
        let prompt = self.prompt(&generated);
        Tokenised { generated, prompt }
    }

    /// `problem <sol>` as token ids.
    fn prompt(&self, generated: &Generated) -> Vec<u32> {
        let mut prompt = self
            .vocab
            .encode(&generated.problem_text(self.spec.format == IgsmFormat::Qp));
        prompt.push(self.vocab.id(SOLUTION));
        prompt
    }

    /// Training problem `index` and its solution's sentences (retries included).
    pub fn training_solution(&self, index: u64) -> (Generated, Vec<Sentence>) {
        let (generated, mut rng) = self.training_problem(index);
        let sentences = match &self.spec.retry {
            Some(retry) => with_retries(&generated.problem, &mut rng.py, retry.kind, retry.rate),
            None => generated
                .problem
                .solution
                .iter()
                .map(|text| Sentence {
                    text: text.clone(),
                    mistake: false,
                })
                .collect(),
        };
        (generated, sentences)
    }

    /// Training document `index`.
    pub fn document(&self, index: u64, doc: &mut Doc) {
        doc.clear();
        let (generated, sentences) = self.training_solution(index);
        doc.tokens = self.prompt(&generated);
        let masked = self.spec.retry.as_ref().is_some_and(|r| r.masked);
        let start = doc.tokens.len() as u32;
        for sentence in &sentences {
            let mut ids = self.vocab.encode(&sentence.text);
            ids.push(self.vocab.id("."));
            if masked && sentence.mistake {
                doc.tokens.extend(ids);
            } else {
                doc.push_span(SpanKind::Answer, &ids);
            }
        }
        let answer = [
            self.vocab.id(ANSWER),
            self.vocab.id(&generated.problem.answer.to_string()),
        ];
        doc.push_span(SpanKind::Answer, &answer);
        if !masked {
            // One span over the whole solution and answer.
            doc.spans = vec![Span {
                kind: SpanKind::Answer,
                start,
                end: doc.tokens.len() as u32,
            }];
        }
    }
}

impl Generator for IgsmSpec {
    const NAME: &'static str = "igsm";

    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.docs, "docs")?;
        let settings = IdGenSettings {
            max_op: self.max_op,
            max_edge: self.max_edge,
            op: None,
            perm_level: Some(self.perm_level),
            detail_level: Some(self.detail_level),
        };
        check_settings(&settings).map_err(|(field, message)| Invalid::field(field, message))?;
        if self.perm_level > 6 {
            return Err(Invalid::field("perm_level", "expected 0 to 6"));
        }
        if ![0, 2, 6, 8].contains(&self.detail_level) {
            return Err(Invalid::field(
                "detail_level",
                "expected 0, 2, 6 or 8: the levels whose solutions name every parameter and \
                 operand, which the checker reads",
            ));
        }
        world(self)?;
        if let Some(retry) = &self.retry
            && !(0.0..1.0).contains(&retry.rate)
        {
            return Err(Invalid::field(
                "retry.rate",
                "expected a probability in [0, 1)",
            ));
        }
        Ok(())
    }

    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Igsm::new(self, name, seed))
    }
}

/// The world a spec's problems draw names from; errors name the setting.
pub fn world(spec: &IgsmSpec) -> Result<World, Invalid> {
    if spec.categorisations.is_none() && spec.lists.is_none() && spec.items.is_none() {
        return Ok(World::official().as_ref().clone());
    }
    let tops: Vec<String> = match &spec.categorisations {
        Some(tops) => tops.clone(),
        None => World::official()
            .hierarchies
            .iter()
            .map(|h| h[0].clone())
            .collect(),
    };
    World::restricted(&tops, spec.lists, spec.items)
}

crate::data::independent_documents!(Igsm);
