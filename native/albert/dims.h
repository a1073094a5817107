// Dimension names used in shape comments throughout native/:
//   B batch, T sequence length, V vocabulary, E embedding width (factorized), H hidden width,
//   N attention heads, D head width (H / N), F feed-forward width, L labels, P positions.
#pragma once
