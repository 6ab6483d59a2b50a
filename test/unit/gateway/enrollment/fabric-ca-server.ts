import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real fabric-ca-server (network/bin) for enrollment tests: a temporary home, TLS on, 127.0.0.1 and free
 * ports only, a random bootstrap secret. `stop()` kills it and removes the home; a process exit hook does the
 * same if a test run dies first.
 */

export const FABRIC_CA_SERVER = resolve(__dirname, '../../../../../network/bin/fabric-ca-server');

export interface RunningCa {
  readonly caUrl: string;
  readonly caName: string;
  /** The CA certificate, which also issued the server's TLS certificate. */
  readonly tlsCertPem: string;
  readonly home: string;
  readonly bootstrap: { readonly id: string; readonly secret: string };
  /** The server's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => {
    server.listen(0, '127.0.0.1', done);
  });
  const address = server.address();
  await new Promise<void>((done) => {
    server.close(() => {
      done();
    });
  });
  if (address === null || typeof address === 'string') {
    throw new Error('no port');
  }
  return address.port;
}

function cainfo(port: number, ca: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path: '/cainfo', ca, timeout: 1_000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => {
      done(false);
    });
    req.on('timeout', () => {
      req.destroy();
    });
    req.end();
  });
}

async function waitUntilReady(child: ChildProcess, home: string, port: number): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`fabric-ca-server exited with ${child.exitCode}`);
    }
    try {
      const ca = readFileSync(join(home, 'ca-cert.pem'), 'utf8');
      if (await cainfo(port, ca)) {
        return ca;
      }
    } catch {
      // Not written yet.
    }
    await sleep(100);
  }
  throw new Error('fabric-ca-server did not become ready within 30 s');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((done) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a fabric-ca-server named `caName` and waits until it answers /cainfo over TLS. */
export async function startFabricCa(caName = 'ca-test'): Promise<RunningCa> {
  const home = mkdtempSync(join(tmpdir(), 'kyc-fabric-ca-'));
  const port = await freePort();
  const operationsPort = await freePort();
  const bootstrap = { id: 'admin', secret: randomBytes(12).toString('hex') };
  const logPath = join(home, 'server.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn(
    FABRIC_CA_SERVER,
    [
      'start',
      '--home',
      home,
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--operations.listenaddress',
      `127.0.0.1:${operationsPort}`,
      '--tls.enabled',
      '--csr.hosts',
      '127.0.0.1,localhost',
      '--ca.name',
      caName,
      '-b',
      `${bootstrap.id}:${bootstrap.secret}`,
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const log = (): string => readFileSync(logPath, 'utf8');
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    await stopChild(child);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const tlsCertPem = await waitUntilReady(child, home, port);
    return { caUrl: `https://127.0.0.1:${port}`, caName, tlsCertPem, home, bootstrap, log, stop };
  } catch (error) {
    const tail = log().slice(-2_000);
    await stop();
    throw new Error(`${(error as Error).message}\n${tail}`);
  }
}
