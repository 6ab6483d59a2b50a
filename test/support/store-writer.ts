import { openStore, type StoreBackendOptions } from '../../store/src';

/**
 * A separate process that writes to a store without end, printing `ack <i>` after each insert of record `w<i>`
 * and each consume of nonce `n<i>` has returned; the durability test SIGKILLs it mid-stream and checks that
 * every acknowledged write survived. Usage: node store-writer.js '<StoreBackendOptions as JSON>'
 */
async function main(): Promise<void> {
  const database = JSON.parse(process.argv[2] ?? '{}') as StoreBackendOptions;
  const store = await openStore({ database });
  for (let i = 0; ; i++) {
    await store.insert('nonces', { id: `n${i}`, data: {} });
    await store.insert('certifications', { id: `w${i}`, status: 'pending', data: { i }, personal: { v: `p${i}` } });
    await store.consume('nonces', `n${i}`);
    process.stdout.write(`ack ${i}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
