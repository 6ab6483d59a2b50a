import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ERROR_CODES } from '../../protocol/src';
import { freshOfficerName } from '../../demo/src/flow';
import { serviceClient } from '../../demo/src/service-client';
import { hostileJson, hostileString } from '../support/hostile';
import { ensureServices, restartServices, serviceFiles, stateNumber, type RunningServices } from '../support/services';

/**
 * Hostile input at volume against every HTTP route of the running services (issue #14): routes come from the
 * services' own OpenAPI documents; bodies are derived from each route's JSON schema and then broken (wrong
 * types, missing and extra members, prototype keys), or are hostile JSON outright (deep nesting, huge strings,
 * unicode edge cases, truncated JOSE, malformed JSON). Pass: no 5xx, every refusal in the documented shape
 * with a documented code, no process restarted, and no row written. KYC_FUZZ_PER_ROUTE sets the count per
 * route (CI: 150, about 4,000 requests; the soak: 10000, about 270,000); KYC_FUZZ_SEED replays a run.
 */

interface Route {
  readonly service: 'certifier' | 'bank';
  readonly method: string;
  readonly path: string;
  readonly secured: boolean;
  readonly bodySchema?: JsonSchema;
}
interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
}

/** Routes whose success writes by design (a nonce, a session) or that end a session: not fuzzed for writes. */
const EXCLUDED = new Set([
  'POST /v1/certifications/nonce',
  'POST /v1/session',
  'DELETE /v1/session',
  'POST /v1/officers',
]);
const PER_ROUTE = Number(process.env.KYC_FUZZ_PER_ROUTE ?? 150);
const SEED = Number(process.env.KYC_FUZZ_SEED ?? Date.now() % 2_147_483_647);
const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Path parameters of the right shape (an id, a did:key, a kind), so half the requests get past the path checks. */
const wellShapedParam = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
  fc.stringMatching(/^did:key:zDn[1-9A-HJ-NP-Za-km-z]{46}$/),
  fc.constantFrom('identity', 'png', 'svg'),
);

/** An object shaped by the schema with at least one member broken (wrong type or missing) and maybe extras. */
function brokenFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  const names = Object.keys(schema.properties ?? {});
  if (schema.type !== 'object' || names.length === 0) return hostileJson;
  return fc
    .record({
      values: fc.dictionary(fc.constantFrom(...names), hostileJson, { maxKeys: names.length }),
      broken: fc.constantFrom(...names),
      brokenValue: fc.oneof(
        fc.constant(undefined),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer()),
      ),
      extras: fc.dictionary(hostileString, hostileJson, { maxKeys: 2 }),
    })
    .map(({ values, broken, brokenValue, extras }) => {
      const body = Object.entries({ ...extras, ...values }).filter(([name]) => name !== broken);
      return Object.fromEntries(brokenValue === undefined ? body : [...body, [broken, brokenValue]]);
    });
}

/** A raw request body: JSON of the value, or malformed text. */
const rawBody = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: value.map((v) => JSON.stringify(v ?? null)) },
    { weight: 1, arbitrary: value.map((v) => JSON.stringify(v ?? null).slice(0, -1)) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', '{"__proto__":{"admin":true}}', '\u0000', '') },
  );

async function routesOf(service: 'certifier' | 'bank', baseUrl: string): Promise<Route[]> {
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<string, { security?: unknown[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
    >;
  };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      service,
      method: method.toUpperCase(),
      path,
      secured: (op.security?.length ?? 0) > 0,
      ...(op.requestBody?.content?.['application/json']?.schema === undefined
        ? {}
        : { bodySchema: op.requestBody.content['application/json'].schema }),
    })),
  );
}

function withParams(path: string, values: readonly string[]): string {
  let i = 0;
  return path.replace(/\{[^}]+\}/g, () =>
    encodeURIComponent(Buffer.from(values[i++ % values.length] ?? 'x', 'utf8').toString('utf8')),
  );
}

/** Rows of the services' stores that a refused request must never add or change. */
function rowCounts(): Record<string, number> {
  return {
    certifications: stateNumber('certifier', 'SELECT count(*) + coalesce(sum(version), 0) FROM certifications'),
    registrations: stateNumber('bank', 'SELECT count(*) + coalesce(sum(version), 0) FROM registrations'),
    certifierOfficers: stateNumber('certifier', 'SELECT count(*) FROM officers'),
    bankOfficers: stateNumber('bank', 'SELECT count(*) FROM officers'),
  };
}

function pids(): Record<string, string> {
  const dir = join(serviceFiles().dataDir, 'pids');
  return Object.fromEntries(['certifier', 'bank'].map((s) => [s, readFileSync(join(dir, `${s}.pid`), 'utf8').trim()]));
}

describe('integration: hostile HTTP input at volume on every route (fuzzing)', function () {
  this.timeout(900_000);
  let services: RunningServices;

  before(async () => {
    services = ensureServices();
    // Rate limits would answer 429 before validation ran: raised for this suite, restored after.
    await restartServices({ KYC_RATE_LIMIT: '1000000' });
  });

  after(async () => {
    await restartServices({});
    (services as RunningServices | undefined)?.release();
  });

  it(`answers ${PER_ROUTE} hostile requests per route with documented refusals, no 5xx, no write, no crash (seed ${SEED})`, async () => {
    const urls = { certifier: services.certifierUrl, bank: services.bankUrl };
    // An officer of each service, so secured routes are reached past authentication half of the time.
    const officerToken = async (url: string, admin: string): Promise<string> =>
      (await serviceClient(url, admin).post<{ token: string }>('/v1/officers', { name: freshOfficerName('fuzz') }))
        .token;
    const tokens = {
      certifier: await officerToken(urls.certifier, services.certifierAdminToken),
      bank: await officerToken(urls.bank, services.bankAdminToken),
    };
    const routes = [...(await routesOf('certifier', urls.certifier)), ...(await routesOf('bank', urls.bank))].filter(
      (r) => !EXCLUDED.has(`${r.method} ${r.path}`),
    );
    assert.ok(routes.length >= 25, `routes found: ${routes.length}`);
    const before = rowCounts();
    const pidsBefore = pids();
    const failures: string[] = [];
    const table: string[] = [];
    for (const [index, route] of routes.entries()) {
      const body = rawBody(
        route.bodySchema === undefined ? hostileJson : fc.oneof(brokenFromSchema(route.bodySchema), hostileJson),
      );
      const cases = fc.sample(
        fc.record({
          params: fc.array(fc.oneof(hostileString, wellShapedParam), { minLength: 1, maxLength: 3 }),
          body,
          authenticated: fc.boolean(),
          contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/jose'),
        }),
        { numRuns: PER_ROUTE, seed: SEED + index },
      );
      const statuses = new Map<number, number>();
      for (const c of cases) {
        const url = `${urls[route.service]}${withParams(route.path, c.params)}`;
        const token = tokens[route.service];
        const headers: Record<string, string> = {
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { 'content-type': c.contentType }),
          ...(route.secured && c.authenticated ? { authorization: `Bearer ${token}` } : {}),
        };
        let status = 0;
        let text = '';
        try {
          const response = await fetch(url, {
            method: route.method,
            headers,
            ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: c.body }),
            signal: AbortSignal.timeout(10_000),
          });
          status = response.status;
          text = response.headers.get('content-type')?.includes('event-stream') === true ? '' : await response.text();
        } catch (err) {
          failures.push(`${route.method} ${route.path}: no answer (${String(err)})`);
          continue;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) failures.push(`${route.method} ${route.path} → ${status}: ${text.slice(0, 200)}`);
        if (status >= 400) {
          const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
          if (typeof code !== 'string' || !CODES.has(code))
            failures.push(`${route.method} ${route.path} → ${status} without a documented code`);
        }
      }
      table.push(
        `| ${route.service} | ${route.method} ${route.path} | ${cases.length} | ${[...statuses]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')} |`,
      );
    }
    console.log(`\n| service | route | requests | statuses |\n|---|---|---|---|\n${table.join('\n')}`);
    assert.deepEqual(failures.slice(0, 20), [], `seed ${SEED}`);
    assert.deepEqual(rowCounts(), before, 'no row written or changed');
    assert.deepEqual(pids(), pidsBefore, 'no service restarted');
    for (const url of Object.values(urls)) assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
