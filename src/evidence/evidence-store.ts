import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import { randomBytes } from 'crypto';

/**
 * Where evidence bytes live, by their SHA-256: the service never names a file
 * itself. The filesystem store is the one built; an S3-compatible store
 * implements the same three calls (docs/evidence.md says how).
 */
export interface EvidenceStore {
  /** Stores the bytes under their hash; storing the same hash again changes nothing. */
  put(sha256: string, bytes: Buffer): Promise<void>;
  /** The bytes, streamed; null when the store has no such file. */
  open(sha256: string): Promise<Readable | null>;
  /** Whether the store holds this hash (readiness checks, repairs). */
  has(sha256: string): Promise<boolean>;
}

export const EVIDENCE_STORE = Symbol('EvidenceStore');

const HASH_RE = /^[0-9a-f]{64}$/;

/**
 * Files under `root/<first two hex digits>/<sha256>`, written to a temporary
 * name in the same directory and renamed into place, so a file is either
 * whole or absent, and two instances writing the same photo both succeed.
 */
export class FsEvidenceStore implements EvidenceStore {
  constructor(private readonly root: string) {}

  private file(sha256: string): string {
    if (!HASH_RE.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  async put(sha256: string, bytes: Buffer): Promise<void> {
    const target = this.file(sha256);
    if (await this.has(sha256)) return;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  }

  async open(sha256: string): Promise<Readable | null> {
    const target = this.file(sha256);
    return (await this.has(sha256)) ? createReadStream(target) : null;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.file(sha256));
      return true;
    } catch {
      return false;
    }
  }
}
