// FNV-1a over a string's UTF-16 code units, once per seed, as hex: stable short names (bridges, cached seccomp
// programs) without loading node:crypto (several ms of start-up). Not a cryptographic hash: callers that must not
// be fooled by a collision check what they find (src/seccomp/program-file.ts keeps the key text beside it).

/** The default seeds: the first two give nsbox's bridge names, all four its seccomp program names. */
const SEEDS = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b] as const;

/** 8 hex characters per seed: `rounds` seeds from SEEDS (2: 16 hex, 4: 32 hex). */
export function fnvHex(text: string, rounds: 1 | 2 | 3 | 4): string {
  let out = '';
  for (const seed of SEEDS.slice(0, rounds)) {
    let h = seed >>> 0;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}
