import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as protocol from '../../../protocol/src';
import { repoRoot } from '../../support/network';

/**
 * The docs' examples are executable: every `<!-- example: NAME -->` JSON block in docs/*.md is checked against
 * the code, and every line carrying `<!-- checked: CONSTANT -->` must state that protocol constant's value. A
 * wallet written from the docs must therefore be accepted by the services and the contract.
 */

const docsDir = join(repoRoot(), 'docs');
const docs = readdirSync(docsDir)
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, text: readFileSync(join(docsDir, name), 'utf8') }));

function examples(): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const { name, text } of docs) {
    for (const match of text.matchAll(/<!-- example: ([a-z0-9-]+) -->\n```json\n([\s\S]*?)\n```/g)) {
      const [, id = '', body = ''] = match;
      assert.ok(!found.has(id), `example '${id}' is defined twice (second in ${name})`);
      found.set(id, JSON.parse(body) as unknown);
    }
  }
  return found;
}

const byName = examples();

function example(name: string): Record<string, unknown> {
  const value = byName.get(name);
  assert.ok(typeof value === 'object' && value !== null, `docs lack the example '${name}'`);
  return value as Record<string, unknown>;
}

interface Submission {
  readonly personId: string;
  readonly kind: string;
  readonly claims: protocol.Claims;
  readonly claimsSalt: string;
  readonly request: string;
}

describe('docs: examples agree with the code', () => {
  it('the certification request payload parses, within the request lifetime', () => {
    const payload = protocol.parseCertificationRequestPayload(example('certification-request-payload'));
    assert.ok(payload.exp - payload.iat <= protocol.MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS);
    assert.ok(payload.exp > payload.iat);
  });

  it('the submission carries the salt and the claims its request hashes', () => {
    const payload = protocol.parseCertificationRequestPayload(example('certification-request-payload'));
    const submission = example('certification-submission') as unknown as Submission;
    protocol.assertValidClaims(submission.claims);
    assert.equal(submission.personId, payload.sub);
    assert.equal(submission.kind, payload.kind);
    assert.equal(protocol.claimsHash(submission.claims, submission.claimsSalt), payload.claims_hash);
    assert.ok(protocol.isP256DidKeyShape(submission.personId));
    assert.deepEqual(Object.keys(submission).sort(), ['claims', 'claimsSalt', 'kind', 'personId', 'request']);
  });

  it('the certification id has the format the API issues and accepts', () => {
    const { id } = example('certification-submitted');
    assert.ok(typeof id === 'string');
    assert.match(id, protocol.NONCE);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
  });

  it('the disclosure example is what createDisclosure makes', () => {
    const d = example('disclosure') as {
      salt: string;
      name: string;
      value: string;
      disclosure: string;
      digest: string;
    };
    const made = protocol.createDisclosure(d.salt, d.name, d.value);
    assert.equal(made.disclosure, d.disclosure);
    assert.equal(made.digest, d.digest);
    assert.deepEqual(protocol.parseDisclosure(d.disclosure).name, d.name);
  });

  it('every "checked" line states the value of the constant it names', () => {
    const constants = protocol as unknown as Readonly<Record<string, unknown>>;
    let checked = 0;
    for (const { name, text } of docs) {
      for (const line of text.split('\n')) {
        for (const match of line.matchAll(/<!-- checked: ([A-Z0-9_]+) -->/g)) {
          const constant = match[1] ?? '';
          const value = constants[constant];
          assert.equal(typeof value, 'number', `${name}: '${constant}' is not a numeric protocol constant`);
          assert.match(line, new RegExp(`(^|[^0-9])${String(value)}([^0-9]|$)`), `${name}: ${constant} ≠ ${line}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 3, 'the docs carry their checked constants');
  });
});
