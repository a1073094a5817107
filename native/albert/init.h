// Initialization as HF's PreTrainedModel._init_weights does it for ALBERT: Linear and
// Embedding weights ~ Normal(0, initializer_range), biases 0, the padding row of the word
// embeddings 0, LayerNorm weight 1 and bias 0. Seeded by a generator private to the model.
#pragma once

#include <cstdint>

namespace albert {

struct AlbertForSequenceClassification;

void init_weights(AlbertForSequenceClassification& model, uint64_t seed);

}  // namespace albert
