// albert-trainer's public API.
export { AlbertForSequenceClassification } from './model/albert';
export type { ForwardOptions, ForwardResult, FromConfigOptions, ModelOptions, ParameterInfo } from './model/albert';
export type { Batch } from './model/batch';
export {
  albertConfig,
  albertConfigToJson,
  parseAlbertConfig,
  readAlbertConfig,
  writeAlbertConfig,
} from './model/config';
export type { AlbertConfig, AlbertConfigOverrides } from './model/config';
export { Trainer } from './trainer';
export type { LossScaleOptions, OptimizerOptions, StepResult, TrainerOptions } from './trainer';
export { AlbertTrainerError } from './errors';
export type { ErrorCode } from './errors';
export { info, manualSeed, setNumThreads } from './info';
export type { Info } from './info';
