import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, suiteInstance } from './network';

function* filesBelow(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* filesBelow(path);
    else yield path;
  }
}

/**
 * Searches every file of every peer and orderer of the suite's instance (block files, state and private
 * databases, snapshots) for each needle, as raw bytes. LevelDB's Snappy compression stores unique strings as
 * literals, so a value that was written is found.
 *
 * @returns for each needle, the files it occurs in.
 */
export function findInLedgerFiles(needles: readonly string[]): Map<string, string[]> {
  const dataDir = join(repoRoot(), 'network', 'data', suiteInstance());
  const found = new Map<string, string[]>(needles.map((n) => [n, []]));
  const nodes = readdirSync(dataDir).filter((d) => d.startsWith('peer') || d.startsWith('orderer'));
  if (nodes.length === 0) throw new Error(`no peer or orderer data under ${dataDir}`);
  for (const node of nodes) {
    for (const file of filesBelow(join(dataDir, node))) {
      const content = readFileSync(file).toString('latin1');
      for (const needle of needles) {
        if (content.includes(needle)) found.get(needle)?.push(file);
      }
    }
  }
  return found;
}
