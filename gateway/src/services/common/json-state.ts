import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A small JSON document persisted atomically (write a temporary file, then rename) with owner-only
 * permissions, because the services' state includes personal data awaiting approval and token digests.
 * Enough for one process per service; a deployment with several replicas needs a database instead.
 */
export class JsonState<T> {
  readonly #path: string;
  #value: T;

  constructor(path: string, initial: () => T) {
    this.#path = path;
    this.#value = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : initial();
  }

  get value(): T {
    return this.#value;
  }

  /** Applies `change` to the document and persists the result before returning it. */
  update<R>(change: (value: T) => R): R {
    const result = change(this.#value);
    this.save();
    return result;
  }

  save(): void {
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#value, null, 2), { mode: 0o600 });
    renameSync(temporary, this.#path);
  }
}
