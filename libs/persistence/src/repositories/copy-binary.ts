// PostgreSQL binary COPY encoding (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format")
// for the few column types gridshift streams: text, uuid, int4, float8, timestamptz, and one-dimensional float8/int4/text
// arrays. Binary avoids formatting every number as text in JavaScript and parsing it again in PostgreSQL.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const OID = { int4: 23, text: 25, float8: 701 } as const;
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix ms. */
const PG_EPOCH_MS = 946_684_800_000;
const ARRAY_HEADER_BYTES = 20;

/** Writes one binary COPY stream: `row(n)`, then exactly n fields, per tuple; `finish()` returns the bytes. */
export class CopyWriter {
  private buffer: Buffer;
  /** Big-endian reads and writes over `buffer` (DataView's are faster than Buffer's write*BE). */
  private view: DataView;
  private offset = 0;

  constructor(initialBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    SIGNATURE.copy(this.buffer, 0);
    this.offset = SIGNATURE.length;
    this.int32(0); // flags
    this.int32(0); // header extension length
  }

  /** Starts a tuple of `fields` fields. */
  row(fields: number): this {
    this.ensure(2);
    this.buffer.writeInt16BE(fields, this.offset);
    this.offset += 2;
    return this;
  }

  text(value: string | null): this {
    if (value === null) return this.int32(-1);
    const bytes = Buffer.byteLength(value, 'utf8');
    this.ensure(4 + bytes);
    this.buffer.writeInt32BE(bytes, this.offset);
    this.buffer.write(value, this.offset + 4, 'utf8');
    this.offset += 4 + bytes;
    return this;
  }

  int4(value: number | null): this {
    if (value === null) return this.int32(-1);
    this.ensure(8);
    this.buffer.writeInt32BE(4, this.offset);
    this.buffer.writeInt32BE(value, this.offset + 4);
    this.offset += 8;
    return this;
  }

  /** A float8; NaN is written as NULL. */
  float8(value: number | null): this {
    if (value === null || Number.isNaN(value)) return this.int32(-1);
    this.ensure(12);
    this.view.setInt32(this.offset, 8);
    this.view.setFloat64(this.offset + 4, value);
    this.offset += 12;
    return this;
  }

  /** A uuid from its text form (8-4-4-4-12 hex digits). */
  uuid(value: string): this {
    const hex = value.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a uuid: ${value}`);
    this.ensure(20);
    this.buffer.writeInt32BE(16, this.offset);
    this.buffer.write(hex, this.offset + 4, 'hex');
    this.offset += 20;
    return this;
  }

  /** A timestamptz from Unix epoch milliseconds. */
  timestamptz(ms: number): this {
    this.ensure(12);
    this.buffer.writeInt32BE(8, this.offset);
    this.buffer.writeBigInt64BE(BigInt(Math.round(ms - PG_EPOCH_MS)) * 1000n, this.offset + 4);
    this.offset += 12;
    return this;
  }

  /** A float8[]; NaN (or null) elements are written as NULL. */
  float8Array(values: ArrayLike<number | null> | null): this {
    if (values === null) return this.int32(-1);
    const nulls = countNulls(values, NaN);
    this.arrayHeader(OID.float8, values.length, nulls, (values.length - nulls) * 12 + nulls * 4);
    const view = this.view;
    let o = this.offset;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x === null || Number.isNaN(x)) {
        view.setInt32(o, -1);
        o += 4;
      } else {
        view.setInt32(o, 8);
        view.setFloat64(o + 4, x);
        o += 12;
      }
    }
    this.offset = o;
    return this;
  }

  /** An int4[]; null elements (and those equal to `nullValue`, if given) are written as NULL. */
  int4Array(values: ArrayLike<number | null> | null, nullValue?: number): this {
    if (values === null) return this.int32(-1);
    const nulls = countNulls(values, nullValue);
    this.arrayHeader(OID.int4, values.length, nulls, (values.length - nulls) * 8 + nulls * 4);
    const view = this.view;
    let o = this.offset;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x === null || x === nullValue) {
        view.setInt32(o, -1);
        o += 4;
      } else {
        view.setInt32(o, 4);
        view.setInt32(o + 4, x);
        o += 8;
      }
    }
    this.offset = o;
    return this;
  }

  textArray(values: readonly (string | null)[] | null): this {
    if (values === null) return this.int32(-1);
    const nulls = countNulls(values, undefined);
    let bytes = nulls * 4;
    for (const x of values) if (x !== null) bytes += 4 + Buffer.byteLength(x, 'utf8');
    this.arrayHeader(OID.text, values.length, nulls, bytes);
    for (const x of values) this.text(x);
    return this;
  }

  /** The complete stream, with the trailer. */
  finish(): Buffer {
    this.ensure(2);
    this.buffer.writeInt16BE(-1, this.offset);
    this.offset += 2;
    return this.buffer.subarray(0, this.offset);
  }

  private arrayHeader(oid: number, length: number, nulls: number, elementBytes: number): void {
    this.ensure(4 + ARRAY_HEADER_BYTES + elementBytes);
    const b = this.buffer;
    const o = this.offset;
    b.writeInt32BE(ARRAY_HEADER_BYTES + elementBytes, o);
    b.writeInt32BE(1, o + 4); // dimensions
    b.writeInt32BE(nulls > 0 ? 1 : 0, o + 8);
    b.writeInt32BE(oid, o + 12);
    b.writeInt32BE(length, o + 16);
    b.writeInt32BE(1, o + 20); // lower bound
    this.offset = o + 24;
  }

  private int32(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value, this.offset);
    this.offset += 4;
    return this;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}

/** Elements written as NULL: null, and `nullValue` (NaN matches NaN). */
function countNulls(values: ArrayLike<unknown>, nullValue: unknown): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === null || Object.is(x, nullValue)) n++;
  }
  return n;
}
