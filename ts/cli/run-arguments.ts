// What training_args.json holds beside the hyperparameters (TrainingArguments.run), so that an
// output folder says how to run it again: every flag of `albert-train train` as it ran, defaults
// included and flags left unset as null, under HF's names where HF's run_glue.py has one
// (model_name_or_path, dataset_name, validation_file, tokenizer_name), the device the run
// resolved, and the command line as the user typed it (ts/cli/invocation.ts) with the folder it ran in.
import yargs, { type Argv } from 'yargs';
import { declaredFlags } from './suggest';
import { invocation, shellQuote } from './invocation';

/** Our flag -> HF's argument name, where they differ by more than dashes. */
const HF_NAMES: Record<string, string> = { model: 'model_name_or_path', dataset: 'dataset_name', 'eval-file': 'validation_file', tokenizer: 'tokenizer_name' };

/**
 * `flags`: the parsed flags of the command `builder` declares; `resolved`: values the run worked
 * out (the device of --device auto); `argv`: the command line after the program.
 */
export function runArguments(flags: Record<string, unknown>, builder: (y: Argv) => Argv, resolved: Record<string, unknown>,
  argv: readonly string[] = process.argv.slice(2)): Record<string, unknown> {
  const names = (declaredFlags(builder(yargs([]).strict()))?.names ?? []).filter((name) => name !== 'help' && name !== 'version');
  const run: Record<string, unknown> = {};
  for (const name of names) run[HF_NAMES[name] ?? name.replace(/-/g, '_')] = flags[name] ?? null;
  // The folder it ran in, for the relative paths of the command line.
  return { ...run, ...resolved, command_line: [invocation(), ...argv.map(shellQuote)].join(' '), working_directory: process.cwd() };
}
