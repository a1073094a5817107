// albert-trainer's public API.
export { AlbertForSequenceClassification, findWeightsFile } from './model/albert';
export type {
  ForwardOptions, ForwardResult, FromConfigOptions, FromPretrainedOptions, LoadingInfo, ModelOptions, ParameterInfo, SavePretrainedOptions,
} from './model/albert';
export { loadingReport } from './model/loading-report';
export type { Batch } from './model/batch';
export {
  albertConfig,
  albertConfigToJson,
  parseAlbertConfig,
  readAlbertConfig,
  writeAlbertConfig,
} from './model/config';
export type { AlbertConfig, AlbertConfigOverrides } from './model/config';
export { TrainingSession } from './training-session';
export type { LossScaleOptions, OptimizerOptions, StepResult, TrainingSessionOptions } from './training-session';
export { AlbertTrainerError } from './errors';
export type { ErrorCode } from './errors';
export { info, setNumThreads } from './info';
export { getRngState, manualSeed, setRngState } from './random';
export type { RngState } from './random';
export type { Info } from './info';
export { AlbertTokenizer } from './data/tokenizer';
export type { EncodedInput } from './data/tokenizer';
export { readDataset, parseDataset } from './data/dataset';
export type { DatasetRow, LabelledDataset, ReadDatasetOptions } from './data/dataset';
export { BatchIterator, makeBatch, epochOrder, shardOrder } from './data/batching';
export type { TokenizedExample, PaddedBatch } from './data/batching';
export { DEFAULT_TRAINING_ARGUMENTS, trainingArguments } from './train/arguments';
export type { TrainingArguments } from './train/arguments';
export { LearningRateSchedule, learningRate } from './train/schedule';
export type { ScheduleOptions, SchedulerType } from './train/schedule';
export { train } from './train/loop';
export type { BestEvaluation, TrainEvent, TrainInput, TrainResult } from './train/train-types';
export { evalOnly, evaluate } from './train/evaluate';
export type { EvalForward, EvaluationResult } from './train/evaluate';
export { ProcessGroup } from './distributed/process-group';
export type { DistributedBackend, JoinOptions } from './distributed/process-group';
export { workerEnvironment } from './distributed/environment';
export type { WorkerEnvironment } from './distributed/environment';
export { launchWorkers } from './distributed/launcher';
export type { LaunchOptions, LaunchOutcome, WorkerFailure } from './distributed/launcher';
export { predict, type PredictInput, type PredictOptions, type Prediction } from './predict';
export { exportOnnx } from './export/export-onnx';
export type { ExportOnnxOptions, ExportedFiles } from './export/export-onnx';
