#include "train/eval_step.h"

#include "albert/loss.h"
#include "train/step_graphs.h"

namespace albert {

EvalResult eval_step(const AlbertForSequenceClassification& model, const Batch& checked_batch, Amp amp) {
  check_batch(checked_batch, model.config);
  // On CUDA, lengths are padded up to a multiple of 16, as the training step's graphs are. On
  // an H100, an eager step at a sequence length not seen before took several times one at a
  // seen length (albert-large fp16, batch 16: 300-450 ms against 47-62; HF's eager step
  // showed the same, 170-310 against 68-82; per-shape kernel selection is the likely cause,
  // not pinned down), and SUBJ's evaluation batches have some 100 different lengths. Padding
  // keys are masked, so each row's logits are the same.
  const Batch host_batch = model.device.is_cuda()
      ? pad_to_length(checked_batch, graph_bucket_length(checked_batch.input_ids.size(1), model.config.max_position_embeddings))
      : checked_batch;
  const Batch batch = host_batch.to(model.device);
  at::NoGradGuard no_grad;
  at::Tensor logits;  // (B, L) fp32
  {
    AutocastScope autocast(amp, model.device.type());
    logits = model.forward(batch.input_ids, attention_keep_mask(host_batch, batch), batch.token_type_ids,
                           /*train=*/false)
                 .to(at::kFloat);
  }
  EvalResult result{logits.cpu(), std::nullopt};
  if (batch.labels.defined()) result.loss = sequence_classification_loss(model.config, logits, batch.labels).item<double>();
  return result;
}

}  // namespace albert
