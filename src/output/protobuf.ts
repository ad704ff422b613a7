/**
 * A small protobuf encoder: what the Perfetto writer needs (varints, tags,
 * strings, nested messages), writing into one growable buffer. Nested
 * messages are written after a one-byte length placeholder and moved when
 * their length needs more bytes, so no message is encoded twice.
 *
 * No Node APIs: this runs in browsers too.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** start of each open nested message's payload */
  private readonly open: number[] = [];

  constructor(initialBytes = 1 << 16) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** bytes written so far */
  get length(): number {
    return this.pos;
  }

  /** the bytes written (a view, valid until the next write) */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
    this.open.length = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** An unsigned varint; `v` a whole number in [0, 2^53). */
  varint(v: number): this {
    this.room(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** uint32/uint64/int32/int64 (non-negative)/bool/enum field */
  uint(field: number, v: number): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(v);
  }

  string(field: number, s: string): this {
    return this.message(field, utf8.encode(s));
  }

  /** raw bytes of an already encoded message, as field `field` */
  message(field: number, bytes: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** opens nested message field `field`; close it with end() */
  begin(field: number): this {
    this.tag(field, WIRE_LEN);
    this.room(1);
    this.pos++; // one byte for the length; end() makes room when it needs more
    this.open.push(this.pos);
    return this;
  }

  end(): this {
    const start = this.open.pop();
    if (start === undefined) throw new Error('ProtoWriter.end() without begin()');
    const len = this.pos - start;
    let lenBytes = 1;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) lenBytes++;
    if (lenBytes > 1) {
      this.room(lenBytes - 1);
      this.buf.copyWithin(start + lenBytes - 1, start, this.pos);
      this.pos += lenBytes - 1;
    }
    let at = start - 1;
    let v = len;
    while (v >= 0x80) {
      this.buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at] = v;
    return this;
  }
}
