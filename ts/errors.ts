// Errors albert-trainer throws. Every one carries a stable `code` to switch on; the native
// core uses the same codes. Messages name the file, line or field.

/**
 * The codes the native core throws, in the order of its one list (native/common/error.h).
 * test/native/error-codes.test.ts holds this array equal to the addon's `errorCodes`.
 */
export const NATIVE_ERROR_CODES = [
  'ERR_SAFETENSORS', // a weights file that is unreadable or lies about its contents
  'ERR_CHECKPOINT', // weights or state that do not fit the model (keys, shapes, dtypes)
  'ERR_CONFIG', // a model config that is malformed or cannot be built
  'ERR_INPUT', // a batch that does not fit the model
  'ERR_DEVICE', // a device or precision this build or machine cannot run
  'ERR_IO', // a file that cannot be read or written
  'ERR_TORCH', // libtorch refused an operation
  'ERR_BUSY', // a call while another runs on the same model
  'ERR_DISPOSED', // a call on a disposed model or trainer
  'ERR_NATIVE', // any other native failure
  'ERR_ARGUMENT', // a function argument or option of the wrong type or out of range
  'ERR_DISTRIBUTED', // a rendezvous or collective across data-parallel processes failed (a peer died, hung or disagrees)
] as const;

/** The codes only TypeScript throws. */
export const TS_ONLY_ERROR_CODES = [
  'ERR_ADDON_LOAD', // the native addon could not be loaded
] as const;

export type ErrorCode = (typeof NATIVE_ERROR_CODES)[number] | (typeof TS_ONLY_ERROR_CODES)[number];

const ERROR_CODES: ReadonlySet<string> = new Set<string>([...NATIVE_ERROR_CODES, ...TS_ONLY_ERROR_CODES]);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && ERROR_CODES.has(code);
}

export class AlbertTrainerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AlbertTrainerError';
    this.code = code;
  }
}

/** How a received value is described in messages: `spoons of type string`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `${JSON.stringify(value)} of type string`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} of type ${typeof value}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name} of length ${(value as unknown as { length: number }).length}`;
  }
  return `a value of type ${typeof value}`;
}

/** `Expected positive integer for batchSize but received -1 of type number`. */
export function invalidArgument(expected: string, name: string, received: unknown): AlbertTrainerError {
  return new AlbertTrainerError('ERR_ARGUMENT', `Expected ${expected} for ${name} but received ${describe(received)}`);
}
