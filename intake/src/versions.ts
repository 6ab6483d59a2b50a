import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The installed version of a package, read from its package.json (recorded in the evidence). */
export function packageVersion(name: string): string {
  try {
    const main = require.resolve(name);
    let dir = dirname(main);
    for (let i = 0; i < 6; i++) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === name && typeof manifest.version === 'string') {
          return manifest.version;
        }
      } catch {
        // not this directory
      }
      dir = dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'unknown';
}
