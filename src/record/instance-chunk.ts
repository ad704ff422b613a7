/**
 * A traced instance as the data file's INST chunk holds it: what the Node
 * recorder (writer.ts) and a page's save() write as each instance appears.
 * Browser-safe.
 */
import type { DataFileInstance } from '../datafile/format.js';
import type { TracedInstance } from '../tracers/trace-array.js';

/** The INST chunk's content for a traced instance (what a recorder writes as each instance appears). */
export function instanceChunk(inst: TracedInstance): DataFileInstance {
  const meta = inst.ft.metadata;
  return {
    id: inst.id,
    name: inst.name,
    ...(inst.moduleHash !== undefined ? { moduleHash: inst.moduleHash } : {}),
    ...(inst.codeLayout !== undefined ? { codeLayout: inst.codeLayout } : {}),
    functionCount: meta.functionCount,
    importCount: meta.importCount,
    names: [...inst.names],
    ...(meta.sourceLines !== undefined ? { sourceLines: meta.sourceLines } : {}),
  };
}
