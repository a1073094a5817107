// Integer predicates for checking callers' values, one place for each meaning. "Safe" is
// Number.isSafeInteger: a whole number that a double holds exactly (|v| <= 2^53 - 1), so a
// count or index checked here can be counted to and compared without rounding.
import { AlbertTrainerError } from './errors';

/** A whole number > 0 that a double holds exactly (a count, a size, a batch size). */
export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A whole number >= 0 that a double holds exactly (an index, a seed, a step). */
export function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * An optional count flag such as --max-eval-samples (absent means no limit): undefined, or a
 * positive integer; anything else is ERR_ARGUMENT naming `flag`.
 */
export function optionalPositiveCount(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isPositiveSafeInteger(value)) throw new AlbertTrainerError('ERR_ARGUMENT', `Expected positive integer for ${flag} but received ${value}`);
  return value;
}
