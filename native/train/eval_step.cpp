#include "train/eval_step.h"

#include "albert/loss.h"

namespace albert {

EvalResult eval_step(const AlbertForSequenceClassification& model, const Batch& checked_batch, Amp amp) {
  check_batch(checked_batch, model.config);
  const Batch host_batch =
      model.device.is_cuda() ? pad_to_length_bucket(checked_batch, model.config.max_position_embeddings) : checked_batch;
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
