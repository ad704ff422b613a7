/**
 * The last step: write the module, then its names and the metadata section
 * the host reads (src/abi/metadata.ts).
 */
import {
  ABI,
  METADATA_SECTION,
  METADATA_VERSION,
  SectionId,
  encodeMetadata,
  findCustomSection,
  findSection,
  readSections,
  type FtraceMetadata,
  type Section,
  type SourceLines,
  type StaticDataBounds,
} from '../abi/index.js';
import { dropCodeOffsetSections } from './debug-sections.js';
import binaryen, { READ_FEATURES, type Module } from './binaryen.js';
import { getId } from './c-api.js';
import { ID } from './children.js';
import type { PassContext } from './context.js';
import { RECORDER_IMPORTS } from './recorder.js';
import { encodeFunctionNames, encodeNameSection, parseActiveDataSegments, parseNameSection, setCustomSection } from './wasm-binary.js';

export function emitModule(
  ctx: PassContext,
  input: Uint8Array,
  sections: readonly Section[],
  moduleName: string | undefined,
  sourceLines?: SourceLines,
): { binary: Uint8Array<ArrayBuffer>; metadata: FtraceMetadata; droppedDebugInfo: string[] } {
  const { mod } = ctx;
  if (!ctx.gcOutput) mod.setFeatures(READ_FEATURES & ~binaryen.Features.GC);
  binaryen.setDebugInfo(true);
  let binary: Uint8Array;
  try {
    binary = mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
  }

  const metadata: FtraceMetadata = {
    version: METADATA_VERSION,
    functionCount: ctx.functionCount,
    importCount: ctx.importCount,
    data: staticDataBounds(mod, input, sections),
    names: [...ctx.names],
    moduleName: moduleName ?? null,
    traced: ctx.traced.flatMap((t, i) => (t ? [i] : [])),
    guardWords: ctx.hooks.guardWords,
    ...(ctx.exitHooks ? { exitHooks: true } : {}),
    ...(ctx.hooks.traceMemory ? { traceMemory: true } : {}),
    ...(ctx.opaqueCallers.size > 0 ? { opaqueCallers: [...ctx.opaqueCallers].sort((a, b) => a - b) } : {}),
    ...(sourceLines ? { sourceLines } : {}),
  };
  const added = [
    `${ABI.importModule}.${ABI.mcount}`,
    ...(ctx.exitHooks ? [`${ABI.importModule}.${ABI.mcountExit}`] : []),
    ...(ctx.hooks.traceMemory ? RECORDER_IMPORTS : []),
  ];
  binary = writeNames(binary, ctx.names, ctx.importCount, added);
  const { binary: kept, dropped } = dropCodeOffsetSections(setCustomSection(binary, METADATA_SECTION, encodeMetadata(metadata)));
  return { binary: kept, metadata, droppedDebugInfo: dropped };
}

/** Static data of memory 0: active segments with constant offsets, extended to __data_end. */
function staticDataBounds(mod: Module, input: Uint8Array, sections: readonly Section[]): StaticDataBounds | null {
  let start = Infinity;
  let end = -Infinity;
  const dataSection = findSection(sections, SectionId.data);
  if (dataSection) {
    for (const seg of parseActiveDataSegments(input, dataSection)) {
      if (seg.memory !== 0 || seg.offset === null) continue;
      start = Math.min(start, seg.offset);
      end = Math.max(end, seg.offset + seg.length);
    }
  }
  const dataEnd = dataEndValue(mod);
  if (dataEnd !== null) {
    if (start === Infinity) start = dataEnd;
    end = Math.max(end, dataEnd);
  }
  return start === Infinity ? null : { start, end };
}

/** The constant value of the module's `__data_end` global (by export or by name), if any. */
function dataEndValue(mod: Module): number | null {
  let globalRef = 0;
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalGlobal && e.name === '__data_end') globalRef = mod.getGlobal(e.value);
  }
  if (!globalRef) {
    for (let i = 0; i < mod.getNumGlobals(); i++) {
      const g = mod.getGlobalByIndex(i);
      if (binaryen.getGlobalInfo(g).name === '__data_end') globalRef = g;
    }
  }
  if (!globalRef) return null;
  const info = binaryen.getGlobalInfo(globalRef);
  if (info.module || info.type !== binaryen.i32 || getId(info.init) !== ID.Const) return null;
  return (binaryen.getExpressionInfo(info.init) as { value?: number }).value ?? null;
}

/**
 * Rewrites the output's function names so that every function has one: the
 * input's explicit names plus the fallback names. Output indices: the input's
 * imports keep theirs, the pass's `added` imports follow, then the defined
 * functions, shifted by their number.
 */
function writeNames(binary: Uint8Array, names: readonly string[], importCount: number, added: string[]): Uint8Array {
  const sections = readSections(binary);
  const existing = findCustomSection(sections, 'name');
  const subsections = existing ? parseNameSection(binary, existing).subsections.filter((s) => s.id !== 1) : [];
  const entries: [number, string][] = [];
  for (let i = 0; i < importCount; i++) entries.push([i, names[i]!]);
  added.forEach((name, k) => entries.push([importCount + k, name]));
  for (let i = importCount; i < names.length; i++) entries.push([i + added.length, names[i]!]);
  subsections.push({ id: 1, bytes: encodeFunctionNames(entries) });
  return setCustomSection(binary, 'name', encodeNameSection(subsections));
}
