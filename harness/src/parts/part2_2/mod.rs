//! Part 2.2, "How to Learn From Mistakes on Grade-School Math Problems" (Ye, Xu, Li &
//! Allen-Zhu, arXiv:2408.16293). The same iGSM problems as Part 2.1, with retry data in
//! training: before solution sentences, wrong parameters written and withdrawn with `[BACK]`
//! (`data::igsm::retry`). Compared with error-free data on the same number of training tokens,
//! by full-solution accuracy ([`super::igsm_solutions`]).

mod claims;

use super::igsm_solutions::IgsmPart;

pub static PART: IgsmPart<claims::Estimator> = IgsmPart {
    name: "part2.2",
    code_epoch: 1,
    method: "Part 2.2 (arXiv:2408.16293), §4–5. Training data: iGSM problems (plm's port of the \
     official generator) whose solutions carry, before each sentence and with probability \
     `rate` again and again, a wrong parameter withdrawn at once (`Define X as [BACK]`): for \
     `retry`, one that cannot be computed yet; for `retry-weak`, a later step of the correct \
     solution (the official id_retry_gen.py and id_retry_weak_gen.py). Masked variants leave \
     the mistakes out of the loss. Runs with and without retries train on the same number \
     of tokens. Each model greedily writes solutions to fresh problems of the evaluation \
     split (test templates, never trained on; a scale with `split = \"train\"` evaluates \
     in distribution); the checker reads every step and skips withdrawn ones, counting them \
     as retries. The training data's \
     solutions are checked too (training check).",
    estimate: claims::estimate,
};
