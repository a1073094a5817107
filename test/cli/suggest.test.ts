// The forgiving command line's parts (ts/cli/suggest.ts), without the addon: HF's spellings,
// the nearest flag to a typo, a number flag given a word. test/cli/forgiving.test.ts runs them
// through dist/cli.js.
import yargs from 'yargs';
import { closest, declaredFlags, editDistance, hfSpellings, nonNumberValue, unknownFlags } from '../../ts/cli/suggest';

const FLAGS = { names: ['help', 'version', 'learning-rate', 'num-train-epochs', 'shuffle', 'model', 'max-steps'], numbers: ['learning-rate', 'num-train-epochs', 'max-steps'] };

describe('hfSpellings', () => {
  test('underscores in flag names become dashes, in both --flag value and --flag=value', () => {
    expect(hfSpellings(['train', '--learning_rate', '1e-3', '--num_train_epochs=2', '--model', 'a_b'])).toEqual(
      ['train', '--learning-rate', '1e-3', '--num-train-epochs=2', '--model', 'a_b']);
  });
  test('values, including one after =, and everything after -- stay as they are', () => {
    expect(hfSpellings(['--text-column=my_text', '--', '--keep_me'])).toEqual(['--text-column=my_text', '--', '--keep_me']);
  });
});

describe('closest', () => {
  test('a typo finds its flag; a swap of two letters counts as one edit', () => {
    expect(editDistance('trian', 'train')).toBe(1);
    expect(closest('lerning-rate', FLAGS.names)).toBe('learning-rate');
    expect(closest('num-epochs', FLAGS.names)).toBeUndefined(); // 6 edits from num-train-epochs: too far to be a typo
    expect(closest('xyz', FLAGS.names)).toBeUndefined();
  });
});

describe('unknownFlags', () => {
  test('names each unknown flag with its nearest known one', () => {
    expect(unknownFlags(['train', '--lerning-rate', '1', '--modle', 'x'], FLAGS))
      .toBe('unknown flags --lerning-rate (did you mean --learning-rate?), --modle (did you mean --model?); see --help for the flags');
  });
  test('a negated switch is suggested negated', () => {
    expect(unknownFlags(['train', '--no-shufle'], FLAGS)).toBe('unknown flag --no-shufle (did you mean --no-shuffle?); see --help for the flags');
  });
  test('known flags in kebab or camel case, --no-<switch> and values after -- pass', () => {
    expect(unknownFlags(['train', '--learning-rate', '1', '--learningRate=2', '--no-shuffle', '--', '--whatever'], FLAGS)).toBeUndefined();
  });
});

describe('nonNumberValue', () => {
  test('a number flag given a word names the flag and the word', () => {
    expect(nonNumberValue(['train', '--num-train-epochs', 'one'], FLAGS)).toBe('--num-train-epochs wants a number, got "one"');
    expect(nonNumberValue(['train', '--learning-rate='], FLAGS)).toBe('--learning-rate wants a number, got ""');
    expect(nonNumberValue(['train', '--max-steps'], FLAGS)).toBe('--max-steps needs a number');
  });
  test('numbers in any notation pass, negative ones too', () => {
    expect(nonNumberValue(['train', '--learning-rate', '1e-3', '--max-steps', '-1', '--num-train-epochs=0.5'], FLAGS)).toBeUndefined();
  });
});

describe('declaredFlags', () => {
  test('reads a command\'s flags and number flags from its yargs builder; none where unknown flags pass on', () => {
    const strict = yargs([]).strict().option('learning-rate', { type: 'number' }).option('model', { type: 'string', alias: 'm' });
    const flags = declaredFlags(strict);
    expect(flags?.names).toEqual(expect.arrayContaining(['learning-rate', 'model', 'm']));
    expect(flags?.numbers).toEqual(['learning-rate']);
    expect(declaredFlags(yargs([]).strict(false).option('quick', { type: 'boolean' }))).toBeUndefined();
    expect(declaredFlags(yargs([]).strict())).toBeUndefined(); // only help and version: no command matched
  });
});
