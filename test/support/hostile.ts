import fc from 'fast-check';

/**
 * Generators of hostile input shared by the fuzzing suites (HTTP routes, the chaincode through fabric-shim,
 * the chaincode on the real network): strings a parser or a lookup trips on, and JSON that is deep, odd or
 * carries prototype keys.
 */

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '__proto__',
    'constructor',
    'prototype',
    '..',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '\uFEFF',
    '\uD800',
    'null',
    'NaN',
    '-0',
    '1e309',
    'did:key:zDn',
    'identity',
    'CertifierMSP',
    'eyJhbGciOiJFUzI1NiJ9.eyJ',
    'eyJhbGciOiJFQ0RILUVTIn0..',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    'a'.repeat(5000),
  ),
);

export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.integer({ min: 1, max: 2000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

/** A string argument: a hostile string, or hostile JSON as text. */
export const hostileArgument: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  // A well-shaped person id that names nobody: lookups run, and must refuse cleanly.
  fc.stringMatching(/^did:key:zDn[1-9A-HJ-NP-Za-km-z]{46}$/),
  hostileJson.map((v) => JSON.stringify(v ?? null)),
);
