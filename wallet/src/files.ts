import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KycError } from '../../protocol/src';

/**
 * File helpers for the wallet directory: private modes (0700 directory, 0600 files), atomic replacement, and
 * size caps on everything read, so a damaged or hostile file cannot exhaust memory.
 */

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Creates `dir` (and parents) with mode 0700 when missing. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Reads a UTF-8 file of at most `maxBytes`.
 *
 * @throws KycError KYC_NOT_FOUND when it does not exist, KYC_INVALID_ARGUMENT when it is larger than allowed.
 */
export async function readFileCapped(path: string, maxBytes: number, what: string): Promise<string> {
  return (await readBytesCapped(path, maxBytes, what)).toString('utf8');
}

/**
 * Reads a file of at most `maxBytes`.
 *
 * @throws KycError KYC_NOT_FOUND when it does not exist, KYC_INVALID_ARGUMENT when it is larger than allowed.
 */
export async function readBytesCapped(path: string, maxBytes: number, what: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > maxBytes) {
      throw new KycError('KYC_INVALID_ARGUMENT', `${what} ${path} is not a file of at most ${maxBytes} bytes`);
    }
    return await readFile(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      throw new KycError('KYC_NOT_FOUND', `${what} ${path} does not exist`, { cause: error });
    }
    throw error;
  }
}

/**
 * Creates a new private file; refuses to overwrite.
 *
 * @throws KycError KYC_CONFLICT when the file already exists.
 */
export async function createPrivateFile(path: string, data: string): Promise<void> {
  await ensurePrivateDir(dirname(path));
  let handle;
  try {
    handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) {
      throw new KycError('KYC_CONFLICT', `${path} already exists`, { cause: error });
    }
    throw error;
  }
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` atomically (write a private temporary file beside it, fsync, rename). */
export async function writePrivateFileAtomic(path: string, data: string): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await createPrivateFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** True when a file or group/other can read or write `path` (POSIX only; always false on Windows). */
export async function isReadableByOthers(path: string): Promise<boolean> {
  if (process.platform === 'win32') {
    return false;
  }
  return ((await stat(path)).mode & 0o077) !== 0;
}
