// Reading a detached box's log back (logs, attach, start -a): its stdout to our stdout and its stderr to our stderr,
// as `docker logs` does. A box without a terminal writes records (plan/log-writer.ts) to streams.log; a box with one,
// and every box started before streams.log existed, wrote the raw log (all of it counts as stdout, as a terminal's
// output does in Docker).

import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { BoxPaths } from '../state/paths.js';
import type { BoxRecord } from '../state/record.js';

export type LogStream = 'stdout' | 'stderr';

/** A piece of one line of output: `ends` says the line ends with it (its newline is not in `text`). */
export interface LogChunk {
  readonly stream: LogStream;
  /** When the log writer read it (RFC 3339, UTC); raw logs have none. */
  readonly time: string | undefined;
  readonly text: Buffer;
  readonly ends: boolean;
}

/** A log file and how it is written. */
export interface LogFile {
  readonly path: string;
  readonly format: 'raw' | 'streams';
}

/** Whether the box's next run writes streams.log: every box without a terminal (the recipe says; old records: no). */
export function writesStreams(record: BoxRecord): boolean {
  const recipe = record.launch;
  if (!recipe) return false;
  return !(recipe.kind === 'image' ? recipe.spec.box.process.tty : recipe.spec.process.tty);
}

/** The log the box's run writes now: streams.log once a run made it, else the raw log (a terminal, an older box). */
export function currentLog(record: BoxRecord, paths: BoxPaths): LogFile {
  return writesStreams(record) && existsSync(paths.streams) ? { path: paths.streams, format: 'streams' } : { path: paths.log, format: 'raw' };
}

/** The log the box's next run writes (start: where its output will be). */
export function nextRunLog(record: BoxRecord, paths: BoxPaths): LogFile {
  return writesStreams(record) ? { path: paths.streams, format: 'streams' } : { path: paths.log, format: 'raw' };
}

/** Where the log writer moved a full log (plan/log-writer.ts): streams.log, or a terminal's raw log (-dt). */
export function rotatedLog(path: string): string {
  return `${path}.1`;
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** A file's size, 0 when it is not there. */
export function fileSize(path: string): number {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** The bytes of `path` from `offset` to its end now (empty when it is not there). */
export function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const parts: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (let at = offset; ;) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n <= 0) break;
      parts.push(Buffer.from(buffer.subarray(0, n)));
      at += n;
    }
    return Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const STREAMS: Readonly<Record<string, LogStream>> = { stdout: 'stdout', stderr: 'stderr' };

/**
 * The records in `data` up to its last newline (`used` bytes; a record still being written waits for the next read).
 * A line that is no record (the supervisor's own complaint) counts as stderr. `final`: take a last line without
 * newline too.
 */
export function parseStreams(data: Buffer, final = false): { readonly chunks: LogChunk[]; readonly used: number } {
  const chunks: LogChunk[] = [];
  let at = 0;
  while (at < data.length) {
    let end = data.indexOf(NEWLINE, at);
    if (end < 0) {
      if (!final) break;
      end = data.length;
    }
    chunks.push(parseRecord(data.subarray(at, end)));
    at = Math.min(end + 1, data.length);
  }
  return { chunks, used: at };
}

/** TIME STREAM F|P TEXT */
function parseRecord(line: Buffer): LogChunk {
  const first = line.indexOf(SPACE);
  const second = first < 0 ? -1 : line.indexOf(SPACE, first + 1);
  const stream = second < 0 ? undefined : STREAMS[line.subarray(first + 1, second).toString('latin1')];
  const tag = second < 0 ? '' : line.subarray(second + 1, second + 2).toString('latin1');
  if (stream === undefined || (tag !== 'F' && tag !== 'P') || (line.length > second + 2 && line[second + 2] !== SPACE)) {
    return { stream: 'stderr', time: undefined, text: Buffer.from(line), ends: true };
  }
  return { stream, time: line.subarray(0, first).toString('latin1'), text: Buffer.from(line.subarray(second + 3)), ends: tag === 'F' };
}

/** A raw log's bytes as stdout lines (the last one may have no newline yet). */
export function parseRaw(data: Buffer): LogChunk[] {
  const chunks: LogChunk[] = [];
  for (let at = 0; at < data.length;) {
    const end = data.indexOf(NEWLINE, at);
    if (end < 0) {
      chunks.push({ stream: 'stdout', time: undefined, text: Buffer.from(data.subarray(at)), ends: false });
      break;
    }
    chunks.push({ stream: 'stdout', time: undefined, text: Buffer.from(data.subarray(at, end)), ends: true });
    at = end + 1;
  }
  return chunks;
}

/** Everything a box wrote: the raw log first (a terminal's, or an older nsbox's runs), then the stream records. */
export function readWholeLog(record: BoxRecord, paths: BoxPaths): { readonly chunks: LogChunk[]; readonly follow: LogFile; readonly offset: number } {
  // A terminal's log rotates too (-dt: plan/log-writer.ts copies it as it is): LOG.1 and LOG are one stream of bytes.
  const rawData = readFrom(paths.log, 0);
  const raw = parseRaw(Buffer.concat([readFrom(rotatedLog(paths.log), 0), rawData]));
  const current = currentLog(record, paths);
  if (current.format === 'raw') return { chunks: raw, follow: current, offset: rawData.length };
  // The writer's full log before this one (plan/log-writer.ts rotates): it ends with a whole record.
  const older = parseStreams(readFrom(rotatedLog(paths.streams), 0), true).chunks;
  const { chunks, used } = parseStreams(readFrom(paths.streams, 0));
  return { chunks: [...raw, ...older, ...chunks], follow: current, offset: used };
}

/** The chunks that make up the last `n` lines (each stream's lines are its own; order is the log's). */
export function tailChunks(chunks: readonly LogChunk[], n: number): LogChunk[] {
  if (n <= 0) return [];
  const lineOf: number[] = [];
  const open: Partial<Record<LogStream, number>> = {};
  const ends: number[] = []; // line ids in the order they end
  let next = 0;
  chunks.forEach((chunk, i) => {
    const line = open[chunk.stream] ?? next++;
    lineOf[i] = line;
    if (chunk.ends || i === chunks.length - 1) ends.push(line);
    open[chunk.stream] = chunk.ends ? undefined : line;
  });
  // Lines still open at the end (a prompt) count where they stand.
  for (const line of Object.values(open)) if (line !== undefined && !ends.includes(line)) ends.push(line);
  const kept = new Set(ends.slice(-n));
  return chunks.filter((_, i) => kept.has(lineOf[i]!));
}

/** Writes chunks to our stdout and stderr, with -t's time at the start of each line that has one. */
export class LogPrinter {
  private readonly atLineStart: Record<LogStream, boolean> = { stdout: true, stderr: true };
  /** The stream log printFrom read last, by inode: a rotation puts another file at its path. */
  followed: { readonly path: string; readonly ino: number } | undefined;

  constructor(private readonly timestamps: boolean) {}

  write(chunk: LogChunk): void {
    const out = chunk.stream === 'stdout' ? process.stdout : process.stderr;
    const stamp = this.timestamps && this.atLineStart[chunk.stream] && chunk.time !== undefined ? `${chunk.time} ` : '';
    out.write(chunk.ends ? Buffer.concat([Buffer.from(stamp), chunk.text, Buffer.from('\n')]) : Buffer.concat([Buffer.from(stamp), chunk.text]));
    this.atLineStart[chunk.stream] = chunk.ends;
  }
}

/**
 * Print what the log has past `offset` and return the new offset. A raw log is copied as it is (a terminal's output
 * needs no lines); stream records only whole (the writer appends each in one write).
 */
export function printFrom(log: LogFile, offset: number, printer: LogPrinter): number {
  // Rotated since the last look (another file at LOG: the printer remembers the one it read, else LOG is shorter
  // than what was read): the rest of that file is LOG.1 now, then the new LOG from its start.
  const now = inodeOf(log.path);
  const read = printer.followed?.path === log.path ? printer.followed.ino : undefined;
  if (offset > 0 && (read !== undefined ? now !== read : fileSize(log.path) < offset)) {
    const rest = readFrom(rotatedLog(log.path), offset);
    if (log.format === 'raw') process.stdout.write(rest);
    else for (const chunk of parseStreams(rest, true).chunks) printer.write(chunk);
    offset = 0;
  }
  printer.followed = now === undefined ? undefined : { path: log.path, ino: now };
  const data = readFrom(log.path, offset);
  if (data.length === 0) return offset;
  if (log.format === 'raw') {
    process.stdout.write(data);
    return offset + data.length;
  }
  const { chunks, used } = parseStreams(data);
  for (const chunk of chunks) printer.write(chunk);
  return offset + used;
}
