import { toKycError } from '../../gateway/src/errors';
import { isHsmError, openHsm } from '../../gateway/src/hsm';
import { isStoreError, openStore } from '../../store/src';

/**
 * A separate process that opens an encrypted SQLite store and writes or reads one record, then prints one
 * JSON line: `{ ok, value? }` or `{ ok: false, code, reason, message }` (code: the KYC code the services'
 * error mapping gives; reason: the store's or the HSM module's own code). SoftHSM reads SOFTHSM2_CONF only at
 * C_Initialize, so "the token is gone" can only be shown in a process of its own.
 * Usage: node store-child.js '{"library","conf","tokenLabel","pin","path","action":"write"|"read"}'
 */
interface Job {
  readonly library: string;
  readonly conf: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly path: string;
  readonly action: 'write' | 'read';
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const hsm = await openHsm({ library: job.library, softhsm2Conf: job.conf });
  try {
    const store = await openStore({
      database: { backend: 'sqlite', path: job.path },
      encryption: { hsm, tokenLabel: job.tokenLabel, pin: job.pin },
    });
    try {
      if (job.action === 'write') {
        await store.insert('certifications', {
          id: 'c',
          status: 'pending',
          data: {},
          personal: { claims: { given_name: 'Ada' } },
        });
      }
      const record = await store.get('certifications', 'c');
      process.stdout.write(`${JSON.stringify({ ok: true, value: record?.personal ?? null })}\n`);
    } finally {
      await store.close();
    }
  } finally {
    await hsm.close();
  }
}

main().catch((error: unknown) => {
  // As a service would report it: the KYC code from the one error mapping, and the store's or HSM's own.
  const reason = isStoreError(error) ? error.reason : isHsmError(error) ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ ok: false, code: toKycError(error).code, reason, message })}\n`);
});
