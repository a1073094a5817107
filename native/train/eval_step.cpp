#include "train/eval_step.h"

#include "albert/loss.h"

namespace albert {

DeviceEvalResult eval_on_device(const AlbertForSequenceClassification& model, const Batch& device_batch,
                                const std::optional<at::Tensor>& keep, Amp amp) {
  at::NoGradGuard no_grad;
  DeviceEvalResult result;
  {
    AutocastScope autocast(amp, model.device.type());
    result.logits = model.forward(device_batch.input_ids, keep, device_batch.token_type_ids, /*train=*/false).to(at::kFloat);
  }
  if (device_batch.labels.defined()) result.loss = sequence_classification_loss(model.config, result.logits, device_batch.labels);
  return result;
}

EvalResult eval_step(const AlbertForSequenceClassification& model, const Batch& checked_batch, Amp amp) {
  check_batch(checked_batch, model.config);
  const Batch host_batch =
      model.device.is_cuda() ? pad_to_length_bucket(checked_batch, model.config.max_position_embeddings) : checked_batch;
  const Batch batch = host_batch.to(model.device);
  const DeviceEvalResult on_device = eval_on_device(model, batch, attention_keep_mask(host_batch, batch), amp);
  EvalResult result{on_device.logits.cpu(), std::nullopt};
  if (on_device.loss.defined()) result.loss = on_device.loss.item<double>();
  return result;
}

}  // namespace albert
