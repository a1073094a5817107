// The letters of the shape comments throughout native/ ("(B, T, H)"), each the size it is
// and, where it is one, the HF AlbertConfig field that sets it:
//   B  batch size (rows in the batch)
//   T  sequence length (padded; Tq: query positions, 1 when only the first token is needed)
//   R  packed rows: the batch's real tokens, padding removed (albert/token_packing.h)
//   V  vocab_size
//   E  embedding_size (the factorized embedding width)
//   H  hidden_size
//   N  num_attention_heads            (not a label count)
//   D  head width, hidden_size / num_attention_heads
//   F  intermediate_size (the feed-forward width)
//   L  num_labels, the classifier's outputs   (not num_hidden_layers)
//   P  max_position_embeddings
// Layers and groups have no letter here: num_hidden_layers and num_hidden_groups are named in
// full wherever they appear.
#pragma once
