// TensorBoard's event files, written and read back: TFRecord framing around serialized
// tensorflow.Event protobufs, which is all TensorBoard's EventAccumulator (and torch's
// SummaryWriter, which HF's TensorBoardCallback uses) reads and writes.
//
// A record (tensorflow/core/lib/io/record_writer.cc):
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
// masked_crc32c(x) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32), CRC32C from
// @aws-crypto/crc32c (pure JS, the AWS SDK's: no native build to fail on install).
//
// The messages are the subset of tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto (plus tensor.proto, tensor_shape.proto) this writer
// needs, with those files' field numbers, encoded by protobufjs as ts/export/onnx-proto.ts does.
import { crc32c } from '@aws-crypto/crc32c';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protobuf from 'protobufjs';

const SCHEMA = {
  nested: {
    tensorflow: {
      nested: {
        Event: {
          // oneofs as in event.proto and summary.proto: a member is written even when it is 0
          // (a scalar of 0, step 0 of file_version), as proto3 writes every set oneof member.
          oneofs: { what: { oneof: ['file_version', 'summary', 'session_log'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
            session_log: { type: 'SessionLog', id: 7 },
          },
        },
        SessionLog: { fields: { status: { type: 'int32', id: 1 }, checkpoint_path: { type: 'string', id: 2 }, msg: { type: 'string', id: 3 } } },
        Summary: { fields: { value: { rule: 'repeated', type: 'SummaryValue', id: 1 } } },
        SummaryValue: {
          oneofs: { value: { oneof: ['simple_value', 'tensor'] } },
          fields: {
            tag: { type: 'string', id: 1 },
            simple_value: { type: 'float', id: 2 },
            tensor: { type: 'TensorProto', id: 8 },
            metadata: { type: 'SummaryMetadata', id: 9 },
          },
        },
        SummaryMetadata: { fields: { plugin_data: { type: 'PluginData', id: 1 } } },
        PluginData: { fields: { plugin_name: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } } },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensor_shape: { type: 'TensorShapeProto', id: 2 },
            string_val: { rule: 'repeated', type: 'bytes', id: 8 },
          },
        },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } } },
        Dim: { fields: { size: { type: 'int64', id: 1 } } },
      },
    },
  },
};

const DT_STRING = 7; // tensorflow DataType
let eventType: protobuf.Type | undefined;
const eventProto = () => (eventType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('tensorflow.Event'));

/** What an event holds, as far as this module writes and reads it. */
export interface EventRecord {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** Scalars (simple_value) and texts (the text plugin's string tensor), by tag. */
  scalars?: Array<{ tag: string; value: number }>;
  texts?: Array<{ tag: string; text: string }>;
}

function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/**
 * The records of a TFRecord file, in order, and the byte length of the whole ones: a record cut
 * short (the writer was killed mid-write) or with a wrong CRC ends the list there.
 */
export function readRecords(bytes: Buffer): { records: Buffer[]; validLength: number } {
  const records: Buffer[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(bytes.subarray(at, at + 8))) break;
    const length = Number(bytes.readBigUInt64LE(at));
    const end = at + 12 + length + 4;
    if (end > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (bytes.readUInt32LE(at + 12 + length) !== maskedCrc32c(data)) break;
    records.push(data);
    at = end;
  }
  return { records, validLength: at };
}

export function encodeEvent(event: EventRecord): Uint8Array {
  const message: Record<string, unknown> = { wall_time: event.wallTime, step: event.step };
  if (event.fileVersion !== undefined) message.file_version = event.fileVersion;
  const values = [
    // torch's SummaryWriter.add_scalar: an old-style simple_value (float32), no metadata.
    ...(event.scalars ?? []).map(({ tag, value }) => ({ tag, simple_value: value })),
    // add_text: tag + "/text_summary", the text plugin (TextPluginData version 0 encodes to no
    // bytes), a DT_STRING tensor of shape [1].
    ...(event.texts ?? []).map(({ tag, text }) => ({
      tag: `${tag}/text_summary`,
      metadata: { plugin_data: { plugin_name: 'text', content: new Uint8Array(0) } },
      tensor: { dtype: DT_STRING, tensor_shape: { dim: [{ size: 1 }] }, string_val: [Buffer.from(text, 'utf8')] },
    })),
  ];
  if (values.length > 0) message.summary = { value: values };
  const type = eventProto();
  return type.encode(type.fromObject(message)).finish();
}

export function decodeEvent(data: Uint8Array): EventRecord {
  const type = eventProto();
  const message = type.toObject(type.decode(data), { longs: Number, bytes: Buffer, defaults: false }) as {
    wall_time?: number; step?: number; file_version?: string;
    summary?: { value?: Array<{ tag?: string; simple_value?: number; tensor?: { string_val?: Buffer[] } }> };
  };
  const event: EventRecord = { wallTime: message.wall_time ?? 0, step: message.step ?? 0 };
  if (message.file_version !== undefined) event.fileVersion = message.file_version;
  for (const value of message.summary?.value ?? []) {
    const tag = value.tag ?? '';
    if (value.simple_value !== undefined) (event.scalars ??= []).push({ tag, value: value.simple_value });
    else if (value.tensor?.string_val?.length) (event.texts ??= []).push({ tag: tag.replace(/\/text_summary$/, ''), text: value.tensor.string_val[0].toString('utf8') });
  }
  return event;
}

let fileCounter = 0;

/**
 * One event file, named as torch's SummaryWriter names them
 * (events.out.tfevents.<seconds>.<host>.<pid>.<n>), opened with the file_version event first.
 * Every write goes to disk at once (HF flushes the writer after each log).
 */
export class EventFileWriter {
  readonly file: string;
  private fd: number;

  constructor(logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000).toString().padStart(10, '0');
    this.file = path.join(logDir, `events.out.tfevents.${seconds}.${os.hostname()}.${process.pid}.${fileCounter++}`);
    this.fd = fs.openSync(this.file, 'a');
    this.write({ wallTime: Date.now() / 1000, step: 0, fileVersion: 'brain.Event:2' });
  }

  write(event: EventRecord): void {
    fs.writeSync(this.fd, frameRecord(encodeEvent(event)));
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** The event files of a logging folder, oldest name first (the name starts with the seconds). */
export function eventFiles(logDir: string): string[] {
  if (!fs.existsSync(logDir)) return [];
  return fs.readdirSync(logDir).filter((name) => name.startsWith('events.out.tfevents.')).sort().map((name) => path.join(logDir, name));
}

/** Every event of every file of `logDir`, in file order. */
export function readEvents(logDir: string): EventRecord[] {
  return eventFiles(logDir).flatMap((file) => readRecords(fs.readFileSync(file)).records.map(decodeEvent));
}
