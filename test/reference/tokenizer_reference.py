"""HF transformers' AlbertTokenizerFast as the reference for test/data/tokenizer-hf.test.ts.

One run serves the whole test file (importing transformers is the slow part).

stdin (JSON):
  tokenizers: {key: dir, ...}        AlbertTokenizerFast.from_pretrained(dir) for each
  cases: [{name, tokenizer: key,     tokenizer(texts, text_pair=pairs, truncation=True, max_length=max_length,
           texts: [str], pairs: [str] | null, max_length: int}]
                                     return_token_type_ids=True): always a BATCH call (a single call
                                     with text_pair="" would drop the pair; the batch call keeps it)
stdout (last line, JSON):
  version: {transformers, tokenizers}
  tokenizers: {key: {class, cls_token_id, sep_token_id, pad_token_id, vocab_size (len(tokenizer)),
                     model_max_length, truncation_side}}
  results: {name: {input_ids: [[int]], token_type_ids: [[int]]}}
"""

import json
import sys

import tokenizers
import transformers
from transformers import AlbertTokenizerFast


def describe(tok):
    return {
        "class": type(tok).__name__,
        "cls_token_id": tok.cls_token_id,
        "sep_token_id": tok.sep_token_id,
        "pad_token_id": tok.pad_token_id,
        "vocab_size": len(tok),
        "model_max_length": tok.model_max_length,
        "truncation_side": tok.truncation_side,
    }


def run_case(tok, case):
    out = tok(
        case["texts"],
        text_pair=case.get("pairs"),
        truncation=True,
        max_length=case["max_length"],
        return_token_type_ids=True,
    )
    return {"input_ids": out["input_ids"], "token_type_ids": out["token_type_ids"]}


def main():
    transformers.logging.set_verbosity_error()
    request = json.load(sys.stdin)
    # from_pretrained(dir) reads tokenizer.json; AlbertTokenizer(vocab_file=...) would silently
    # build a 5-token vocabulary in transformers 5 (BUILD-NOTES.md).
    toks = {key: AlbertTokenizerFast.from_pretrained(d) for key, d in request["tokenizers"].items()}
    result = {
        "version": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "tokenizers": {key: describe(tok) for key, tok in toks.items()},
        "results": {case["name"]: run_case(toks[case["tokenizer"]], case) for case in request["cases"]},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
