import { deserialize, serialize, type Document } from './bson.js';

// Opcodes and layouts from the MongoDB Wire Protocol specification.
export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
const OP_MSG_CHECKSUM_PRESENT = 1 << 0;
export const OP_MSG_MORE_TO_COME = 1 << 1;

/** Driver-side BSON options that keep every type exactly as it was sent. */
export const BSON_READ_OPTIONS = { promoteLongs: false, promoteBuffers: false } as const;

export class ProtocolError extends Error {}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A command as both legacy OP_QUERY and OP_MSG carry it. */
export interface IncomingCommand {
  header: MessageHeader;
  /** The command document, with OP_MSG document sequences folded in as arrays. */
  body: Document;
  /** The client asked for no reply (OP_MSG moreToCome, i.e. w:0 writes). */
  moreToCome: boolean;
  /** Legacy OP_QUERY must be answered with OP_REPLY. */
  legacy: boolean;
}

export function readHeader(frame: Buffer): MessageHeader {
  return {
    messageLength: frame.readInt32LE(0),
    requestId: frame.readInt32LE(4),
    responseTo: frame.readInt32LE(8),
    opCode: frame.readInt32LE(12),
  };
}

/** Decodes one complete frame; throws ProtocolError on anything malformed. */
export function decodeMessage(frame: Buffer): IncomingCommand {
  const header = readHeader(frame);
  if (header.opCode === OP_MSG) return decodeOpMsg(frame, header);
  if (header.opCode === OP_QUERY) return decodeOpQuery(frame, header);
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

function decodeOpMsg(frame: Buffer, header: MessageHeader): IncomingCommand {
  const flags = frame.readUInt32LE(HEADER_BYTES);
  const end = flags & OP_MSG_CHECKSUM_PRESENT ? frame.length - 4 : frame.length;
  let offset = HEADER_BYTES + 4;
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === 0) {
      const size = bsonSizeAt(frame, offset, end);
      body = deserialize(frame.subarray(offset, offset + size), BSON_READ_OPTIONS);
      offset += size;
    } else if (kind === 1) {
      const sectionSize = int32At(frame, offset, end);
      const sectionEnd = offset + sectionSize;
      if (sectionSize < 5 || sectionEnd > end) throw new ProtocolError('document sequence overruns the message');
      const nameEnd = frame.indexOf(0, offset + 4);
      if (nameEnd < 0 || nameEnd >= sectionEnd) throw new ProtocolError('unterminated document sequence identifier');
      const identifier = frame.toString('utf8', offset + 4, nameEnd);
      const docs: Document[] = [];
      let docOffset = nameEnd + 1;
      while (docOffset < sectionEnd) {
        const size = bsonSizeAt(frame, docOffset, sectionEnd);
        docs.push(deserialize(frame.subarray(docOffset, docOffset + size), BSON_READ_OPTIONS));
        docOffset += size;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) body[identifier] = docs;
  return { header, body, moreToCome: (flags & OP_MSG_MORE_TO_COME) !== 0, legacy: false };
}

function decodeOpQuery(frame: Buffer, header: MessageHeader): IncomingCommand {
  let offset = HEADER_BYTES + 4; // flags
  const nameEnd = frame.indexOf(0, offset);
  if (nameEnd < 0) throw new ProtocolError('unterminated collection name');
  const namespace = frame.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = bsonSizeAt(frame, offset, frame.length);
  let body = deserialize(frame.subarray(offset, offset + size), BSON_READ_OPTIONS);
  // Since MongoDB 3.6 OP_QUERY is only accepted for commands, as the handshake uses it.
  if (!namespace.endsWith('.$cmd')) throw new ProtocolError('OP_QUERY is only supported for commands');
  const query: unknown = body.$query;
  if (query && typeof query === 'object') body = query;
  body.$db = namespace.slice(0, -'.$cmd'.length);
  return { header, body, moreToCome: false, legacy: true };
}

function int32At(frame: Buffer, offset: number, end: number): number {
  if (offset + 4 > end) throw new ProtocolError('truncated message');
  return frame.readInt32LE(offset);
}

function bsonSizeAt(frame: Buffer, offset: number, end: number): number {
  const size = int32At(frame, offset, end);
  if (size < 5 || offset + size > end) throw new ProtocolError('BSON document overruns the message');
  return size;
}

export function encodeOpMsg(responseTo: number, requestId: number, reply: Document): Buffer {
  const body = serialize(reply);
  const header = Buffer.alloc(HEADER_BYTES + 5);
  header.writeInt32LE(header.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header.writeUInt8(0, 20);
  return Buffer.concat([header, body]);
}

export function encodeOpReply(responseTo: number, requestId: number, reply: Document): Buffer {
  const body = serialize(reply);
  const header = Buffer.alloc(HEADER_BYTES + 20);
  header.writeInt32LE(header.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_REPLY, 12);
  header.writeInt32LE(0, 16); // responseFlags
  header.writeBigInt64LE(0n, 20); // cursorID
  header.writeInt32LE(0, 28); // startingFrom
  header.writeInt32LE(1, 32); // numberReturned
  return Buffer.concat([header, body]);
}

export { HEADER_BYTES };
