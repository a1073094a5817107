#include "albert/parameters.h"

namespace albert {

Linear make_linear(int64_t in_features, int64_t out_features) {
  return Linear{at::empty({out_features, in_features}), at::empty({out_features})};
}

LayerNorm make_layer_norm(int64_t channels, double eps) {
  return LayerNorm{at::empty({channels}), at::empty({channels}), eps};
}

}  // namespace albert
