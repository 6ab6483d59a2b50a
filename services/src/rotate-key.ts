import { bankConfig, certifierConfig, serviceKindOf } from './config';
import { loadNetworkConfig, openNetworkHsm, orgOf } from '../../gateway/src/fabric';
import { openStore, type KycStore } from '../../store/src';
import { storeOpenOptions } from './common/store-options';

/**
 * `./kyc rotate-key <service> [--destroy-retired] [--batch N]`: rotates the key-encryption key of the store of
 * a service instance of network.json (`certifier`, `bank`, …; docs/storage.md, "Key rotation"). Runs
 * `rotateKek` until complete, printing progress and the retired KEK ids; with `--destroy-retired`, destroys
 * the retired KEKs in the HSM afterwards. Resumable: run it again after an interruption. Safe while the
 * service runs (every step is a compare-and-set).
 */
function parseArgs(argv: readonly string[]): { service: string; batchSize: number; destroy: boolean } {
  const [service, ...flags] = argv;
  if (service === undefined || !/^[a-z][a-z0-9-]{0,31}$/.test(service)) {
    throw new Error(
      'usage: rotate-key <service: certifier, bank, … as in network.json> [--destroy-retired] [--batch N]',
    );
  }
  const batchIndex = flags.indexOf('--batch');
  const batchSize = batchIndex < 0 ? 500 : Number(flags[batchIndex + 1]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error('--batch: 1 to 10000');
  return { service, batchSize, destroy: flags.includes('--destroy-retired') };
}

async function rotate(store: KycStore, service: string, batchSize: number, destroy: boolean): Promise<void> {
  const say = (line: string): void => {
    process.stdout.write(`rotate-key ${service}: ${line}\n`);
  };
  let total = 0;
  for (;;) {
    const step = await store.rotateKek({ batchSize });
    total += step.rewrapped;
    say(`${String(total)} data keys re-wrapped under ${step.kekId}`);
    if (step.complete) {
      say(`complete; retired KEKs: ${step.retired.join(', ') || 'none'}`);
      break;
    }
  }
  if (destroy) say(`destroyed KEKs: ${(await store.destroyRetiredKeks()).join(', ') || 'none'}`);
}

async function main(argv: readonly string[]): Promise<void> {
  const { service, batchSize, destroy } = parseArgs(argv);
  const env = { ...process.env, KYC_SERVICE: service };
  const config = serviceKindOf(service) === 'certifier' ? certifierConfig(env) : bankConfig(env);
  if (config.store.plaintext) throw new Error('a plaintext store (benchmark) has no key to rotate');
  const network = loadNetworkConfig(config.networkConfigPath);
  const hsm = await openNetworkHsm(network);
  try {
    const store = await openStore(storeOpenOptions(config.store, config.dataDir, orgOf(network, config.mspId), hsm));
    try {
      await rotate(store, service, batchSize, destroy);
    } finally {
      await store.close();
    }
  } finally {
    await hsm.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`rotate-key: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
