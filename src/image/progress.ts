// Import progress on a terminal: one rewritten stderr line, shown only when stderr is a TTY.

export interface Progress {
  layer(label: string): void;
  bytes(count: number): void;
  done(): void;
}

const SILENT: Progress = { layer: () => undefined, bytes: () => undefined, done: () => undefined };

/** A progress line on stream when it is a terminal, else a no-op. */
export function createProgress(title: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let label = '';
  let total = 0;
  let shownAt = 0;
  const show = (): void => {
    shownAt = Date.now();
    stream.write(`\r\x1b[K${title}: ${label} ${(total / 1e6).toFixed(1)} MB`);
  };
  return {
    layer(next) {
      label = next;
      show();
    },
    bytes(count) {
      total += count;
      if (Date.now() - shownAt > 100) show();
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
