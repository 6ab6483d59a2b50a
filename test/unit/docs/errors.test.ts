import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../../protocol/src';
import { httpStatusOf } from '../../../gateway/src/errors';
import { repoRoot } from '../../support/network';

/** docs/errors.md's table is the reference for clients: every code, with the HTTP status the services use. */
describe('docs/errors.md', () => {
  const text = readFileSync(join(repoRoot(), 'docs', 'errors.md'), 'utf8');
  const rows = new Map(
    [...text.matchAll(/^\| `(KYC_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1] ?? '', Number(m[2])] as const),
  );

  it('documents every error code once, with the HTTP status the services answer with', () => {
    assert.deepEqual([...rows.keys()].sort(), [...ERROR_CODES].sort());
    for (const code of ERROR_CODES) assert.equal(rows.get(code), httpStatusOf(code), code);
  });
});
