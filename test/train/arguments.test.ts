// Training arguments: the switches are booleans (one ERR_ARGUMENT naming the field otherwise),
// and cudaGraphs reaches training_args.json under HF's snake_case.
import { DEFAULT_TRAINING_ARGUMENTS, toHfTrainingArguments, trainingArguments } from '../../ts/train/arguments';
import { expectThrowSync } from '../helpers/expect-error';

describe('trainingArguments switches', () => {
  test('cudaGraphs is on by default and reaches training_args.json', () => {
    expect(DEFAULT_TRAINING_ARGUMENTS.cudaGraphs).toBe(true);
    expect(toHfTrainingArguments(trainingArguments({ cudaGraphs: false })).cuda_graphs).toBe(false);
  });

  test.each(['loadBestModelAtEnd', 'groupByLength', 'shuffle', 'collapseGuard', 'cudaGraphs'] as const)('%s: a non-boolean is ERR_ARGUMENT', (name) => {
    expectThrowSync(() => trainingArguments({ [name]: 'yes' } as never), 'ERR_ARGUMENT', `Expected boolean for ${name} but received "yes" of type string`);
  });
});
