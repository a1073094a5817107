// AlbertForSequenceClassification as an ONNX graph (opset 17), node for node what HF's
// modeling_albert.py computes in eval mode, from the model's own weights:
//
//   input_ids, token_type_ids, attention_mask: (B, T) int64, B and T dynamic
//   embeddings   word[ids] + position[0..T) + token_type[types] -> LayerNorm          (B, T, E)
//   mapping in   (B, T, E) @ (E, C) + b                                              (B, T, C)
//   L layers     layer i runs group floor(i / (L / G)); each group's inner layers in order:
//                q, k, v = h @ W + b -> (B, H, T, D); softmax(q k^T / sqrt(D) + mask) v
//                -> (B, T, C) @ Wd + bd; LayerNorm(h + .); ffn, activation, ffn_output;
//                LayerNorm(. + attention output)
//   pooler       tanh(h[:, 0] @ Wp + bp)                                             (B, C)
//   logits       pooled @ Wc + bc                                                    (B, L)
//
// A weight is one initializer however many layers use it (ALBERT shares its layers), so the
// file is the size of the weights. Linear weights are stored transposed, (in, out), for MatMul.
// With `quantize`, every MatMul weight is int8 with one fp32 scale per output column, multiplied
// by activations quantized at run time (onnxruntime's dynamic quantization: DynamicQuantizeLinear,
// MatMulInteger), and the word embeddings are int8 with one scale per row, dequantized after the
// gather (transformers.js 'q8' reads the file as model_quantized.onnx).
import type { AlbertConfig } from '../model/config';
import { AttributeType, DataType, type AttributeProto, type ModelInput, type NodeProto, type TensorProto } from './onnx-proto';

export const OPSET = 17; // LayerNormalization is an ONNX op from 17 on; onnxruntime and transformers.js run it
export const IR_VERSION = 8; // the IR of ONNX 1.12, the release that brought opset 17

export interface GraphWeights {
  /** A parameter by HF name, fp32, row-major, with its shape. */
  get(name: string): { values: Float32Array; shape: number[] };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

function attribute(name: string, value: number | number[], kind: 'int' | 'float' = 'int'): AttributeProto {
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return kind === 'int' ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
}

class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly named = new Set<string>();
  private count = 0;

  constructor(private readonly weights: GraphWeights, private readonly quantize: boolean) {}

  op(type: string, inputs: string[], attributes: AttributeProto[] = [], name = `${type}_${this.count}`): string {
    const output = `${name}_out`;
    this.count += 1;
    this.nodes.push({ name, op_type: type, input: inputs, output: [output], attribute: attributes });
    return output;
  }

  tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): string {
    if (!this.named.has(name)) {
      this.named.add(name);
      this.initializers.push({ name, dims, data_type: dataType, raw_data: bytesOf(data) });
    }
    return name;
  }

  scalar(value: number): string {
    return this.tensor(`const_${value}`, DataType.FLOAT, [], Float32Array.of(value));
  }

  ints(name: string, values: number[]): string {
    return this.tensor(name, DataType.INT64, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** A parameter as it is (embeddings, biases, LayerNorm). */
  param(name: string): string {
    const { values, shape } = this.weights.get(name);
    return this.tensor(name, DataType.FLOAT, shape, values);
  }

  /** A Linear weight (out, in) as a MatMul operand (in, out): fp32, or int8 with one scale per output column. */
  matmulWeight(name: string): string {
    const key = `${name}_T`;
    if (this.named.has(key) || this.named.has(`${key}_int8`)) return key;
    const { values, shape: [out, inputs] } = this.weights.get(name);
    const transposed = new Float32Array(values.length); // (in, out)
    for (let o = 0; o < out; o++) for (let i = 0; i < inputs; i++) transposed[i * out + o] = values[o * inputs + i];
    if (this.quantize) this.int8(key, transposed, [inputs, out], 1);
    else this.tensor(key, DataType.FLOAT, [inputs, out], transposed);
    return key;
  }

  /**
   * word_embeddings[ids] (B, T, E). Quantized, the table (V, E) is int8 with one scale per row
   * (most of a small model's bytes): the rows are gathered first and only they are dequantized,
   * so a run never widens the whole table.
   */
  embed(name: string, ids: string): string {
    if (!this.quantize) return this.op('Gather', [this.param(name), ids]);
    const { values, shape } = this.weights.get(name);
    this.int8(name, values, shape, 0);
    const rows = this.op('Cast', [this.op('Gather', [`${name}_int8`, ids])], [attribute('to', DataType.FLOAT)]); // (B, T, E)
    const scales = this.op('Unsqueeze', [this.op('Gather', [`${name}_scale`, ids]), this.ints('axes_last', [-1])]); // (B, T, 1)
    return this.op('Mul', [rows, scales]);
  }

  /** `values` (2-D) as int8 with one fp32 scale per slice along `axis` (symmetric): `${key}_int8`, `${key}_scale`. */
  private int8(key: string, values: Float32Array, [rows, cols]: number[], axis: 0 | 1): void {
    const count = axis === 1 ? cols : rows;
    const slice = (index: number) => (axis === 1 ? index % cols : Math.floor(index / cols));
    const scales = new Float32Array(count);
    values.forEach((v, index) => { scales[slice(index)] = Math.max(scales[slice(index)], Math.abs(v)); });
    scales.forEach((max, i) => { scales[i] = max > 0 ? max / 127 : 1; });
    const quantized = Int8Array.from(values, (v, index) => Math.max(-127, Math.min(127, Math.round(v / scales[slice(index)]))));
    this.tensor(`${key}_int8`, DataType.INT8, [rows, cols], quantized);
    this.tensor(`${key}_scale`, DataType.FLOAT, [count], scales);
  }

  /**
   * x @ W + b. Quantized, as onnxruntime's dynamic quantization computes it: x is quantized per
   * call (DynamicQuantizeLinear: uint8, a scale, a zero point), multiplied in integers by the
   * int8 weight (MatMulInteger), and the int32 result scaled back by x's scale times the
   * weight's column scales.
   */
  linear(x: string, prefix: string): string {
    const weight = this.matmulWeight(`${prefix}.weight`);
    if (!this.quantize) return this.op('Add', [this.op('MatMul', [x, weight]), this.param(`${prefix}.bias`)]);
    const name = `DynamicQuantizeLinear_${this.count++}`;
    const [xq, xScale, xZero] = [`${name}_q`, `${name}_scale`, `${name}_zero`];
    this.nodes.push({ name, op_type: 'DynamicQuantizeLinear', input: [x], output: [xq, xScale, xZero], attribute: [] });
    const product = this.op('Cast', [this.op('MatMulInteger', [xq, `${weight}_int8`, xZero])], [attribute('to', DataType.FLOAT)]);
    return this.op('Add', [this.op('Mul', [product, this.op('Mul', [xScale, `${weight}_scale`])]), this.param(`${prefix}.bias`)]);
  }

  layerNorm(x: string, prefix: string, eps: number): string {
    return this.op('LayerNormalization', [x, this.param(`${prefix}.weight`), this.param(`${prefix}.bias`)], [attribute('axis', -1), attribute('epsilon', eps, 'float')]);
  }
}

/** HF's ACT2FN for the activations AlbertConfig allows. */
function activation(g: GraphBuilder, x: string, act: AlbertConfig['hidden_act']): string {
  switch (act) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh': { // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
      return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])]);
    }
    case 'gelu':
    case 'gelu_python': // 0.5 x (1 + erf(x / sqrt(2)))
      return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)]), g.op('Add', [g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'tanh':
      return g.op('Tanh', [x]);
  }
}

/** The whole classifier as ONNX messages (see the head of this file). */
export function albertGraph(config: AlbertConfig, weights: GraphWeights, options: { quantize: boolean; producerVersion: string }): ModelInput {
  const g = new GraphBuilder(weights, options.quantize);
  const C = config.hidden_size;
  const H = config.num_attention_heads;
  const D = C / H;
  const eps = config.layer_norm_eps;
  // Embeddings: positions 0..T-1 from the input's own length.
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.tensor('index_1', DataType.INT64, [], BigInt64Array.of(1n))], [attribute('axis', 0)]);
  const positions = g.op('Range', [g.tensor('index_0', DataType.INT64, [], BigInt64Array.of(0n)), seqLen, g.tensor('step_1', DataType.INT64, [], BigInt64Array.of(1n))]);
  const word = g.embed('albert.embeddings.word_embeddings.weight', 'input_ids');
  const position = g.op('Gather', [g.param('albert.embeddings.position_embeddings.weight'), positions]);
  const tokenType = g.op('Gather', [g.param('albert.embeddings.token_type_embeddings.weight'), 'token_type_ids']);
  const embedded = g.layerNorm(g.op('Add', [g.op('Add', [word, tokenType]), position]), 'albert.embeddings.LayerNorm', eps);
  let hidden = g.linear(embedded, 'albert.encoder.embedding_hidden_mapping_in'); // (B, T, C)
  // The additive mask HF builds: 0 where attended, the float32 minimum where padded. (B, 1, 1, T)
  const keep = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], [attribute('to', DataType.FLOAT)]), g.ints('axes_1_2', [1, 2])]);
  const mask = g.op('Mul', [g.op('Sub', [g.scalar(1), keep]), g.scalar(-3.4028234663852886e38)]);
  const heads = g.ints('shape_heads', [0, 0, H, D]);
  const merged = g.ints('shape_merged', [0, 0, C]);
  const scale = g.scalar(1 / Math.sqrt(D));
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const group = Math.floor(i / (config.num_hidden_layers / config.num_hidden_groups));
    for (let j = 0; j < config.inner_group_num; j++) {
      const p = `albert.encoder.albert_layer_groups.${group}.albert_layers.${j}`;
      const split = (name: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [g.linear(hidden, `${p}.attention.${name}`), heads])], [attribute('perm', perm)]);
      const q = split('query', [0, 2, 1, 3]); // (B, H, T, D)
      const k = split('key', [0, 2, 3, 1]); // (B, H, D, T)
      const v = split('value', [0, 2, 1, 3]); // (B, H, T, D)
      const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), mask]); // (B, H, T, T)
      const probs = g.op('Softmax', [scores], [attribute('axis', -1)]);
      const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], [attribute('perm', [0, 2, 1, 3])]), merged]); // (B, T, C)
      const attended = g.layerNorm(g.op('Add', [hidden, g.linear(context, `${p}.attention.dense`)]), `${p}.attention.LayerNorm`, eps);
      const ffn = g.linear(activation(g, g.linear(attended, `${p}.ffn`), config.hidden_act), `${p}.ffn_output`);
      hidden = g.layerNorm(g.op('Add', [ffn, attended]), `${p}.full_layer_layer_norm`, eps);
    }
  }
  const first = g.op('Gather', [hidden, g.tensor('index_0', DataType.INT64, [], BigInt64Array.of(0n))], [attribute('axis', 1)]); // (B, C)
  const pooled = g.op('Tanh', [g.linear(first, 'albert.pooler')]);
  const logits = g.linear(pooled, 'classifier'); // (B, L)
  g.nodes.push({ name: 'logits', op_type: 'Identity', input: [logits], output: ['logits'], attribute: [] });
  const dynamic: Array<number | string> = ['batch_size', 'sequence_length'];
  return {
    graphName: 'albert_for_sequence_classification',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({ name, elemType: DataType.INT64, dims: dynamic })),
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, dims: ['batch_size', config.num_labels] }],
    opset: OPSET,
    irVersion: IR_VERSION,
    producerVersion: options.producerVersion,
    docString: `AlbertForSequenceClassification (${config.num_hidden_layers} layers, hidden ${C}), exported by albert-trainer`,
  };
}
