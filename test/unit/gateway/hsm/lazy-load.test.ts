import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('gateway/hsm: loading', () => {
  it("does not load pkcs11js, nor fabric-common's PKCS#11 suite, until a library is opened", function () {
    this.timeout(20_000);
    const dist = join(__dirname, '..', '..', '..', '..');
    const script = `
      require(${JSON.stringify(join(dist, 'gateway/src/hsm'))});
      require(${JSON.stringify(join(dist, 'gateway/src/fabric'))});
      require(${JSON.stringify(join(dist, 'gateway/src/enrollment'))});
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        pkcs11js: loaded.some((path) => path.includes('/node_modules/pkcs11js/')),
        pkcs11Suite: loaded.some((path) => path.includes('bccsp_pkcs11')),
      }));`;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(output), { pkcs11js: false, pkcs11Suite: false });
  });
});
