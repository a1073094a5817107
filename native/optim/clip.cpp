#include "optim/clip.h"

namespace albert {

at::Tensor clip_grad_norm_(const std::vector<at::Tensor>& grads, double max_norm) {
  at::NoGradGuard no_grad;
  if (grads.empty()) return at::zeros({});
  std::vector<at::Tensor> norms = at::_foreach_norm(grads, 2);  // n x ()
  at::Tensor total = at::linalg_vector_norm(at::stack(norms), 2);  // ()
  if (max_norm > 0) {
    at::Tensor coefficient = at::clamp_max(max_norm / (total + 1e-6), 1.0);  // ()
    at::_foreach_mul_(grads, coefficient);
  }
  return total;
}

}  // namespace albert
