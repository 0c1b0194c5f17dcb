// Builds zip files byte by byte for the import tests: hostile ones (zip bombs whose
// headers tell the truth or lie) that no zip library would write on purpose.
import { deflateRawSync, constants } from "node:zlib";

export interface ZipPart {
  name: string;
  /** Raw deflate data (method 8). */
  deflated: Buffer;
  /** What the headers declare; a lie when the test wants one. */
  uncompressedSize: number;
}

/** A part whose content is `text`, compressed. */
export function deflatedPart(name: string, text: string | Buffer): ZipPart {
  const data = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { name, deflated: deflateRawSync(data), uncompressedSize: data.length };
}

/**
 * Deflate data for `head`, then `block` repeated `times`, then `tail`, made in milliseconds
 * whatever it inflates to: a full flush after each piece resets the compressor, so one
 * compressed block can be repeated as it is.
 */
export function repeatedDeflate(head: string, block: string, times: number, tail: string): { deflated: Buffer; size: number } {
  const piece = (text: string) => deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_FULL_FLUSH });
  const repeated = piece(block);
  const deflated = Buffer.concat([piece(head), ...Array<Buffer>(times).fill(repeated), deflateRawSync(Buffer.from(tail))]);
  return { deflated, size: Buffer.byteLength(head) + Buffer.byteLength(block) * times + Buffer.byteLength(tail) };
}

/**
 * A zip of deflated parts. CRC-32s are left at 0: the readers under test check sizes
 * before content, and neither yauzl nor exceljs checks a CRC.
 */
export function buildZip(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt32LE(part.deflated.length, 18);
    local.writeUInt32LE(part.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(part.deflated.length, 20);
    central.writeUInt32LE(part.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, part.deflated);
    centrals.push(central, name);
    offset += local.length + name.length + part.deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
