// Import progress on a terminal: one rewritten stderr line, shown only when stderr is a TTY.
// With a known total: "12.0/48.3 MB 24% 9.1 MB/s"; without one: bytes and rate.

export interface Progress {
  /** A new stretch of work ("reading archive", "layers") with its total in bytes when known; resets the count. */
  phase(label: string, total: number | undefined): void;
  /** The item being read now (a layer). */
  layer(label: string): void;
  bytes(count: number): void;
  done(): void;
}

const SILENT: Progress = { phase: () => undefined, layer: () => undefined, bytes: () => undefined, done: () => undefined };

/** One progress line (without the title). Pure: unit-tested. */
export function formatProgress(label: string, done: number, total: number | undefined, elapsedMs: number): string {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  const rate = elapsedMs > 0 ? `${mb((done / elapsedMs) * 1000)} MB/s` : '';
  if (total === undefined || total <= 0) return `${label} ${mb(done)} MB ${rate}`.trimEnd();
  const percent = Math.min(100, Math.floor((done / total) * 100));
  return `${label} ${mb(done)}/${mb(total)} MB ${percent}% ${rate}`.trimEnd();
}

/** A progress line on stream when it is a terminal, else a no-op. */
export function createProgress(title: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let label = '';
  let item = '';
  let done = 0;
  let total: number | undefined;
  let startedAt = Date.now();
  let shownAt = 0;
  const show = (): void => {
    shownAt = Date.now();
    stream.write(`\r\x1b[K${title}: ${formatProgress(item ? `${label} ${item}` : label, done, total, shownAt - startedAt)}`);
  };
  return {
    phase(next, size) {
      label = next;
      item = '';
      done = 0;
      total = size;
      startedAt = Date.now();
      show();
    },
    layer(next) {
      item = next;
      show();
    },
    bytes(count) {
      done += count;
      if (Date.now() - shownAt > 100) show();
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
