// --report-to tensorboard: event files as HF's TensorBoardCallback
// (transformers/integrations/integration_utils.py, 5.18) writes them through torch's SummaryWriter:
// - at the start, the training arguments and the model config as texts ("args", "model_config");
// - at every log, each number under HF's rewrite_logs name ("eval_x" -> "eval/x", else
//   "train/x") at the run's global step: train/loss, train/grad_norm, train/learning_rate,
//   train/epoch every logging step; eval/loss, eval/accuracy, eval/macro_f1, eval/runtime,
//   eval/samples_per_second, eval/steps_per_second and train/epoch at every evaluation;
//   train/train_runtime, train/train_samples_per_second, train/train_steps_per_second,
//   train/total_flos, train/train_loss and train/epoch at the end.
// What HF has no log for: a collapse-guard roll-back is a text "train/collapse_guard" at its step.
//
// The folder: --logging-dir, else $TENSORBOARD_LOGGING_DIR (HF's variable), else HF's default
// <output_dir>/runs/<Mon DD_HH-MM-SS>_<host>. A resumed run writes into the newest such folder
// of its output directory, and first drops what the interrupted run logged after the checkpoint
// it resumes from, so every step is in the run once.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { EvalLogEntry, GuardEntry, LogEntry, TrainEvent, TrainLogEntry, TrainSummaryEntry } from '../train/train-types';
import { EventFileWriter, type EventRecord, decodeEvent, eventFiles, frameRecord, readRecords } from './event-file';

export const REPORT_TO_CHOICES = ['none', 'tensorboard', 'all'] as const;
export type ReportTo = (typeof REPORT_TO_CHOICES)[number];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** HF's default_logdir(): runs/<%b%d_%H-%M-%S>_<hostname>, in local time. */
export function defaultLogDirName(now = new Date(), host = os.hostname()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return path.join('runs', `${MONTHS[now.getMonth()]}${two(now.getDate())}_${two(now.getHours())}-${two(now.getMinutes())}-${two(now.getSeconds())}_${host}`);
}

/**
 * Where the event files go: `loggingDir` (the flag), else $TENSORBOARD_LOGGING_DIR, else a new
 * default folder under `outputDir`; a resumed run takes the newest runs/* folder that holds
 * event files, so its curves continue the interrupted ones.
 */
export function resolveLoggingDir(outputDir: string, loggingDir: string | undefined, resuming: boolean, env = process.env): string {
  if (loggingDir !== undefined) return loggingDir;
  const fromEnv = env.TENSORBOARD_LOGGING_DIR;
  if (fromEnv) return fromEnv.replace(/^~(?=$|\/)/, os.homedir());
  const runs = path.join(outputDir, 'runs');
  if (resuming && fs.existsSync(runs)) {
    const withEvents = fs.readdirSync(runs).map((name) => path.join(runs, name)).filter((dir) => eventFiles(dir).length > 0);
    const newest = withEvents.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    if (newest) return newest;
  }
  return path.join(outputDir, defaultLogDirName());
}

/**
 * Drops from `logDir`'s event files every event of a step after `step` (what an interrupted
 * run logged past the checkpoint it resumes from) and a record cut short by a kill. Each file
 * that changes is rewritten to a temporary name and renamed over the old one. Returns whether
 * the kept events hold the run's texts (the training arguments), so they are not written twice.
 */
export function truncateAfterStep(logDir: string, step: number): { hasArgs: boolean } {
  let hasArgs = false;
  for (const file of eventFiles(logDir)) {
    const bytes = fs.readFileSync(file);
    const { records, validLength } = readRecords(bytes);
    const kept = records.filter((record) => {
      const event = decodeEvent(record);
      const logs = (event.scalars?.length ?? 0) + (event.texts?.length ?? 0) > 0;
      if (logs && event.step <= step && event.texts?.some((t) => t.tag === 'args')) hasArgs = true;
      return !logs || event.step <= step;
    });
    if (kept.length === records.length && validLength === bytes.length) continue;
    const temporary = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(temporary, Buffer.concat(kept.map(frameRecord)));
    fs.renameSync(temporary, file);
  }
  return { hasArgs };
}

/** HF's log dict of an evaluation during training (compute_metrics' accuracy and macro_f1). */
function evalScalars(entry: EvalLogEntry): Array<[string, number]> {
  return [['eval/loss', entry.eval_loss], ['eval/accuracy', entry.eval_accuracy], ['eval/macro_f1', entry.eval_macro_f1],
    ['eval/runtime', entry.eval_runtime], ['eval/samples_per_second', entry.eval_samples_per_second],
    ['eval/steps_per_second', entry.eval_steps_per_second], ['train/epoch', entry.epoch]];
}

function logScalars(entry: TrainLogEntry): Array<[string, number]> {
  return [['train/loss', entry.loss], ['train/grad_norm', entry.grad_norm], ['train/learning_rate', entry.learning_rate], ['train/epoch', entry.epoch]];
}

function summaryScalars(entry: TrainSummaryEntry): Array<[string, number]> {
  return [['train/train_runtime', entry.train_runtime], ['train/train_samples_per_second', entry.train_samples_per_second],
    ['train/train_steps_per_second', entry.train_steps_per_second], ['train/total_flos', entry.total_flos],
    ['train/train_loss', entry.train_loss], ['train/epoch', entry.epoch]];
}

export interface TensorBoardReporterOptions {
  logDir: string;
  /** HF's args.to_json_string() and model.config.to_json_string(): written once per run. */
  argsJson: string;
  configJson: string;
  /** A resumed run's checkpoint step: later events in the folder are dropped first. */
  resumedFromStep?: number;
}

/** Writes one run's events into a logging folder; rank 0 of a data-parallel job only. */
export class TensorBoardReporter {
  private writer: EventFileWriter;

  constructor(options: TensorBoardReporterOptions) {
    const { hasArgs } = options.resumedFromStep !== undefined ? truncateAfterStep(options.logDir, options.resumedFromStep) : { hasArgs: false };
    this.writer = new EventFileWriter(options.logDir);
    if (!hasArgs) {
      this.text('args', options.argsJson, 0);
      this.text('model_config', options.configJson, 0);
    }
  }

  get file(): string {
    return this.writer.file;
  }

  /** The train() events that HF logs: log, eval, and (ours) the guard's roll-backs. */
  onEvent(event: TrainEvent): void {
    if (event.type === 'log') this.scalars(logScalars(event), event.step);
    else if (event.type === 'eval') this.scalars(evalScalars(event), event.step);
    else if (event.type === 'guard') this.guard(event);
  }

  /** The run's last log entry, HF's train summary (train_runtime, ...), when the run finished. */
  onFinish(logHistory: readonly LogEntry[]): void {
    const summary = logHistory.find((entry): entry is TrainSummaryEntry => 'train_runtime' in entry);
    if (summary) this.scalars(summaryScalars(summary), summary.step);
  }

  close(): void {
    this.writer.close();
  }

  private guard(entry: GuardEntry): void {
    this.text('train/collapse_guard', `collapse guard (${entry.reason}): restored step ${entry.restored_step} ` +
      `(accuracy ${entry.restored_accuracy}), learning rate x ${entry.lr_factor}`, entry.step);
  }

  // One event per value, as SummaryWriter.add_scalar and add_text write them.
  private scalars(values: Array<[string, number]>, step: number): void {
    for (const [tag, value] of values) this.writer.write({ wallTime: Date.now() / 1000, step, scalars: [{ tag, value }] });
  }

  private text(tag: string, text: string, step: number): void {
    const event: EventRecord = { wallTime: Date.now() / 1000, step, texts: [{ tag, text }] };
    this.writer.write(event);
  }
}
