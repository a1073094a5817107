// Assertions on the errors the library gives: a `code`, a message, and the AlbertTrainerError wrapper.
import { AlbertTrainerError } from '../../ts/errors';

/** What a failed call gives: an Error with a `code` (ts/errors.ts). */
export type CodedError = Error & { code: string };

function isCodedError(error: unknown): error is CodedError {
  // Not `instanceof Error`: under jest the addon's errors come from another realm (see
  // lifecycle.test.ts, which asserts that they reach the caller as AlbertTrainerError).
  return typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' && typeof (error as CodedError).code === 'string';
}

/**
 * The error `run` throws or rejects with, checked to carry a `code`. Whether it is an
 * AlbertTrainerError is asserted separately (expectWrapped), so one wrapping bug does not mask
 * every code and message check.
 */
export async function caught(run: () => unknown): Promise<CodedError> {
  let error: unknown;
  let threw = false;
  try {
    await run();
  } catch (e) {
    error = e;
    threw = true;
  }
  if (!threw) throw new Error('expected an error, but the call succeeded');
  if (!isCodedError(error)) throw new Error(`expected an error with a code, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return error;
}

/** Asserts `run` fails with `code` and a message equal to `message` (string) or matching it (RegExp). */
export async function expectError(run: () => unknown, code: string, message: string | RegExp): Promise<CodedError> {
  const error = await caught(run);
  expect({ code: error.code, message: error.message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
  return error;
}

/** The same, for a call that must throw synchronously (before any promise or native work). */
export function expectThrowSync(run: () => unknown, code: string, message: string | RegExp): CodedError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  if (!isCodedError(error)) throw new Error(`expected a synchronous error with a code, got ${String(error)}`);
  expect({ code: error.code, message: error.message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
  return error;
}

/** The public contract: every error is an AlbertTrainerError whose stack points at `testFile`. */
export function expectWrapped(error: CodedError, testFile: string): void {
  expect({ isAlbertTrainerError: error instanceof AlbertTrainerError, name: error.name, stackHasCaller: String(error.stack).includes(testFile) }).toEqual({
    isAlbertTrainerError: true,
    name: 'AlbertTrainerError',
    stackHasCaller: true,
  });
}

/** Escapes text for use inside a RegExp. */
export function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The AlbertTrainerError `promise` rejects with (asserted to be one). */
export async function rejected(promise: Promise<unknown>): Promise<AlbertTrainerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AlbertTrainerError);
  return error as AlbertTrainerError;
}
