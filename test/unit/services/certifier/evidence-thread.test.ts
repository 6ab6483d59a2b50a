import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KycError } from '../../../../protocol/src';
import { EvidenceThread } from '../../../../services/src/certifier/evidence-thread';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;

describe('certifier evidence thread (the intake engine off the event loop)', function () {
  this.timeout(60_000);
  let dir: string;
  let thread: EvidenceThread;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-csca-'));
  });
  afterEach(async () => {
    await thread.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const chip = { sod: new Uint8Array([0x77, 0x03, 1, 2, 3]), dg1: new Uint8Array([1]), dg2: new Uint8Array([2]) };
  const selfie = new Uint8Array([0xff, 0xd8, 0xff]);

  it('brings the engine’s coded refusal back from the thread, and takes nothing from the caller’s buffers', async () => {
    thread = new EvidenceThread({ cscaDir: dir, maxQueued: 2 });
    const files = { ...chip, selfie };
    await assert.rejects(thread.check(files, { given_name: 'A' }), isCode('KYC_INVALID_ARGUMENT'));
    // The files were copied before the transfer: the caller's bytes are intact.
    assert.deepEqual([...files.sod], [0x77, 0x03, 1, 2, 3]);
  });

  it('refuses with KYC_CAPACITY when more submissions wait than allowed, and serves the others', async () => {
    thread = new EvidenceThread({ cscaDir: dir, maxQueued: 0 });
    const first = thread.check({ ...chip, selfie }, {});
    assert.throws(() => thread.check({ ...chip, selfie }, {}), isCode('KYC_CAPACITY'));
    await assert.rejects(first, isCode('KYC_INVALID_ARGUMENT'));
    // Room again once the first is answered.
    await assert.rejects(thread.check({ ...chip, selfie }, {}), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('answers KYC_UNAVAILABLE for work in flight when the thread stops, and starts a new one after', async () => {
    thread = new EvidenceThread({ cscaDir: dir, maxQueued: 2 });
    const inFlight = thread.check({ ...chip, selfie }, {});
    await thread.close();
    await assert.rejects(inFlight, isCode('KYC_UNAVAILABLE'));
    await assert.rejects(thread.check({ ...chip, selfie }, {}), isCode('KYC_INVALID_ARGUMENT'));
  });
});
