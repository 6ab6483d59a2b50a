import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TYP, claimsHash, createDisclosure, didKeyFromPublicKey, signJws } from '../../protocol/src';
import { openIdentityStore, registerAndEnroll } from '../../gateway/src/enrollment';
import { connectGateway, loadUser, openNetworkHsm, orgOf, retryWhileConverging } from '../../gateway/src/fabric';
import { connectAs, type TestConnection } from '../support/fabric';

/** network.json of the running instance (`KYC_INSTANCE`, default main), or `KYC_NETWORK_JSON`. */
const NETWORK_JSON =
  process.env.KYC_NETWORK_JSON ??
  resolve(__dirname, '../../../crypto-config/generated', process.env.KYC_INSTANCE ?? 'main', 'network.json');

/** A person's certification request and the commitment a certifier records for it. */
async function certificationFor(certifier: string) {
  const person = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const personId = didKeyFromPublicKey(person.publicKey);
  const claims = { given_name: 'Ada', family_name: 'Lovelace' };
  const now = Math.floor(Date.now() / 1000);
  const request = await signJws(
    { typ: TYP.certificationRequest },
    {
      sub: personId,
      aud: certifier,
      nonce: randomBytes(16).toString('base64url'),
      iat: now,
      exp: now + 600,
      kind: 'identity',
      claims_hash: claimsHash(claims, randomBytes(16).toString('base64url')),
    },
    (data) => Promise.resolve(sign('sha256', data, { key: person.privateKey, dsaEncoding: 'ieee-p1363' })),
  );
  const digests = Object.entries(claims)
    .map(([name, value]) => createDisclosure(randomBytes(16).toString('base64url'), name, value).digest)
    .sort();
  const commitment = JSON.stringify({
    schema: 'kyc.person.v1',
    level: 2,
    digests,
    validFrom: new Date(now * 1000).toISOString(),
    validUntil: new Date((now + 365 * 24 * 3600) * 1000).toISOString(),
  });
  return { personId, request, commitment, digests };
}

describe('integration: Fabric identities with keys in SoftHSM, through fabric-gateway', function () {
  this.timeout(120_000);
  let officer: TestConnection | undefined;
  let verifier: TestConnection | undefined;

  before(async () => {
    officer = await connectAs(NETWORK_JSON, 'CertifierMSP', 'officer1');
    verifier = await connectAs(NETWORK_JSON, 'BankMSP', 'verifier1');
  });

  after(async () => {
    await officer?.close();
    await verifier?.close();
  });

  it('keeps the client identities’ keys out of the file system', () => {
    for (const [mspId, user] of [
      ['CertifierMSP', 'officer1'],
      ['BankMSP', 'verifier1'],
    ] as const) {
      const mspPath = officer!.config.orgs[mspId]!.users[user]!.mspPath;
      let keystore: string[] = [];
      try {
        keystore = readdirSync(join(mspPath, 'keystore'));
      } catch {
        // No keystore directory at all is fine too.
      }
      assert.deepEqual(keystore, [], `${mspId} ${user} has no key file`);
    }
  });

  it('a CertifierMSP officer submits Certify signed in the HSM; a BankMSP verifier evaluates the record', async () => {
    const { personId, request, commitment, digests } = await certificationFor('CertifierMSP');
    const kyc = officer!.contract('kyc');
    const started = Date.now();
    let retries = 0;
    const submitted = await retryWhileConverging(
      () => kyc.submitTransaction('Certify', personId, request, commitment),
      {
        onRetry: () => {
          retries += 1;
        },
      },
    );
    const submitMs = Date.now() - started;
    assert.ok(submitted.length > 0);

    const evaluatedAt = Date.now();
    const record = JSON.parse(
      Buffer.from(
        await verifier!.contract('kyc').evaluateTransaction('GetAttestation', personId, 'CertifierMSP', 'identity'),
      ).toString('utf8'),
    ) as { personId: string; certifier: string; status: string; digests: string[]; level: number };
    const evaluateMs = Date.now() - evaluatedAt;
    assert.equal(record.personId, personId);
    assert.equal(record.certifier, 'CertifierMSP');
    assert.equal(record.status, 'active');
    assert.equal(record.level, 2);
    assert.deepEqual(record.digests, digests);
    console.log(`      submit ${submitMs} ms (${retries} convergence retries), evaluate ${evaluateMs} ms`);
  });

  it('the chaincode refuses Certify from the bank verifier (its certificate decides, fail closed)', async () => {
    const { personId, request, commitment } = await certificationFor('BankMSP');
    await assert.rejects(
      retryWhileConverging(() => verifier!.contract('kyc').submitTransaction('Certify', personId, request, commitment)),
      (error: { details?: { message: string }[]; message: string }) => {
        const text = [error.message, ...(error.details ?? []).map((detail) => detail.message)].join(' ');
        assert.match(text, /KYC_FORBIDDEN/);
        return true;
      },
    );
  });

  it('registers and enrolls a new officer at the CertifierMSP CA with HSM keys, who can then certify', async () => {
    const config = officer!.config;
    const org = orgOf(config, 'CertifierMSP');
    const hsm = await openNetworkHsm(config);
    const storeDir = mkdtempSync(join(tmpdir(), 'kyc-it-identities-'));
    let newSki: string | undefined;
    const registrar = await loadUser(hsm, config, 'CertifierMSP', 'registrar');
    try {
      const enrollmentId = `it-officer-${randomBytes(4).toString('hex')}`;
      const stored = await registerAndEnroll({
        caUrl: org.ca.url,
        caName: org.ca.caName,
        tlsCertPem: readFileSync(org.ca.tlsCertPath, 'utf8'),
        registrar: { identity: registrar.identity, token: registrar.token },
        token: registrar.token,
        store: openIdentityStore(storeDir),
        enrollmentId,
        type: 'client',
        attrs: [{ name: 'kyc.role', value: 'certifier', ecert: true }],
      });
      newSki = stored.ski;
      assert.equal(stored.tokenLabel, org.hsm.tokenLabel);
      const peer = org.peers[0]!;
      const connection = await connectGateway({
        endpoint: peer.endpoint,
        tlsRootCertPem: readFileSync(peer.tlsRootCertPath),
        identity: stored,
        token: registrar.token,
      });
      try {
        const { personId, request, commitment } = await certificationFor('CertifierMSP');
        const contract = connection.gateway.getNetwork(config.channel).getContract(config.chaincodes.kyc!);
        await retryWhileConverging(() => contract.submitTransaction('Certify', personId, request, commitment));
        const record = JSON.parse(
          Buffer.from(
            await contract.evaluateTransaction('GetAttestation', personId, 'CertifierMSP', 'identity'),
          ).toString(),
        ) as { certifiedBy: string };
        assert.match(record.certifiedBy, new RegExp(`CN=${enrollmentId}`));
      } finally {
        connection.close();
      }
    } finally {
      // The CA keeps the registration; the key goes, so the test leaves no usable identity behind.
      if (newSki !== undefined) {
        await registrar.token.destroyKey(newSki);
      }
      await registrar.close();
      await hsm.close();
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});
