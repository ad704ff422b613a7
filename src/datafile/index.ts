/**
 * The trace data file: format (format.ts, FORMAT.md), encoder and decoder.
 * No Node APIs: browsers read data files too. The Node file reader and
 * reader is a separate entry point (./node-reader.js); writing a data file while
 * a program runs is src/record (it knows the trace array; the format does not).
 */
export {
  DATA_FILE_MAGIC,
  DATA_FILE_VERSION,
  PREAMBLE_BYTES,
  CHUNK_HEADER_BYTES,
  CHUNK_ALIGN,
  CHUNK_HEAD,
  CHUNK_INST,
  CHUNK_EVTS,
  CHUNK_FOOT,
  EVTS_FIXED_BYTES,
  EVTS_BYTES_PER_EVENT,
  MAX_CHUNK_BYTES,
  DataFileError,
  fourcc,
  chunkTypeName,
  isAncillary,
  crc32,
} from './format.js';
export type { DataFileHeader, DataFileInstance, DataFileFooter, EventColumns } from './format.js';
export { encodePreamble, encodeChunk, encodeHeader, encodeInstance, encodeEvents, encodeFooter, eventsChunkBytes } from './encode.js';
export { DataFileDecoder } from './decode.js';
export { decodeDataFile, columnsToEvents, toTraceData } from './trace-data.js';
export type { DataFileChunk, DataFileSummary, DecodedDataFile, DataFileDecoderOptions, EventFilter } from './decode.js';
