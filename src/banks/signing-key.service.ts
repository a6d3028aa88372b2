import { Injectable } from '@nestjs/common';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { actorRef, KeyPrincipal } from '../auth/principal';
import { AppConfig } from '../platform/config/app-config';
import { PiiCipher } from '../platform/crypto/pii';
import { requireTenant } from '../platform/database/tenant';
import type { SigningKeyView } from './banks.dto';

interface KeyRow {
  key_id: string;
  public_key: string;
  private_key_cipher: string;
  active_from: Date;
  retired_at: Date | null;
}

/** A key as a bank sees it: enough to pick it by id and verify with it. */
/** A key's id: the first 16 hex digits of SHA-256 over its public key (SPKI, DER), which a bank can recompute. */
const keyIdOf = (spkiDer: Buffer) => createHash('sha256').update(spkiDer).digest('hex').slice(0, 16);

const SIGNED_MESSAGE = 'UTF-8 bytes of: X-Export-Digest + "\\n" + X-Export-Run-Id + "\\n" + your bankId';

/**
 * Each county's Ed25519 key pairs for signed bank exports. A tenant has one
 * current key, made the first time it is needed; an admin rotates it (after a
 * leak, or on a schedule), which retires the current key and makes a new one.
 * Retired keys stay listed, so an export keeps verifying with the key its
 * `X-Export-Key-Id` names. Private keys are kept encrypted with the PII key;
 * decrypted ones are cached by keyId (a key's material never changes).
 */
@Injectable()
export class SigningKeyService {
  private readonly cipher: PiiCipher;
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(
    private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.cipher = new PiiCipher(config.piiKey);
  }

  private view(r: KeyRow): SigningKeyView {
    const pub = createPublicKey({ key: Buffer.from(r.public_key, 'base64'), format: 'der', type: 'spki' });
    return {
      keyId: r.key_id,
      algorithm: 'Ed25519',
      publicKey: r.public_key,
      publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
      activeFrom: r.active_from.toISOString(),
      retiredAt: r.retired_at?.toISOString() ?? null,
    };
  }

  private async currentRow(m: EntityManager, tenantId: string): Promise<KeyRow | undefined> {
    const [row] = await m.query(
      `SELECT key_id, public_key, private_key_cipher, active_from, retired_at FROM export_signing_keys WHERE tenant_id = $1 AND retired_at IS NULL`,
      [requireTenant(tenantId)],
    );
    return row;
  }

  /** A new key pair for the tenant, current from now (the caller has retired the previous one, if any). */
  private async create(m: EntityManager, tenantId: string, actor: string): Promise<KeyRow> {
    const pair = generateKeyPairSync('ed25519');
    const der = pair.publicKey.export({ type: 'spki', format: 'der' });
    const [row] = await m.query(
      `INSERT INTO export_signing_keys (tenant_id, key_id, public_key, private_key_cipher, created_by, active_from)
       VALUES ($1, $2, $3, $4, $5, clock_timestamp())
       RETURNING key_id, public_key, private_key_cipher, active_from, retired_at`,
      [tenantId, keyIdOf(der), der.toString('base64'), this.cipher.encrypt(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toString('base64'), actor],
    );
    return row;
  }

  /** One change of a tenant's keys at a time (a first key, a rotation), across instances. */
  private lockKeys(m: EntityManager, tenantId: string) {
    return m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`jifen.signing-key.${requireTenant(tenantId)}`]);
  }

  /** The tenant's current key, made on first use, under the same lock as a rotation. */
  private async current(tenantId: string): Promise<KeyRow> {
    const row = await this.currentRow(this.dataSource.manager, tenantId);
    if (row) return row;
    return this.dataSource.transaction(async (m) => {
      await this.lockKeys(m, tenantId);
      return (await this.currentRow(m, tenantId)) ?? (await this.create(m, tenantId, 'system'));
    });
  }

  /** GET /v1/bank/signing-key: the current key, with its keyId and what exactly is signed. */
  async describe(tenantId: string) {
    return { ...this.view(await this.current(tenantId)), signedMessage: SIGNED_MESSAGE };
  }

  /** GET /v1/bank/signing-keys: every key the tenant has signed with, newest first. */
  async list(tenantId: string): Promise<{ items: SigningKeyView[] }> {
    await this.current(tenantId);
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT key_id, public_key, private_key_cipher, active_from, retired_at FROM export_signing_keys WHERE tenant_id = $1 ORDER BY active_from DESC, key_id`,
      [requireTenant(tenantId)],
    );
    return { items: rows.map((r) => this.view(r)) };
  }

  /** POST /v1/bank/signing-keys: retires the current key and makes a new one, in one transaction. */
  async rotate(p: KeyPrincipal): Promise<SigningKeyView> {
    return this.dataSource.transaction(async (m) => {
      await this.lockKeys(m, p.tenantId);
      await m.query(`UPDATE export_signing_keys SET retired_at = clock_timestamp() WHERE tenant_id = $1 AND retired_at IS NULL`, [p.tenantId]);
      return this.view(await this.create(m, p.tenantId, actorRef(p)));
    });
  }

  /** The message an export's signature covers. */
  static message(digestHex: string, runId: string, bankId: string): Buffer {
    return Buffer.from(`${digestHex}\n${runId}\n${bankId}`, 'utf8');
  }

  /** Signs with the tenant's current key: the signature and the keyId that verifies it. */
  async sign(tenantId: string, message: Buffer): Promise<{ keyId: string; signature: string }> {
    const row = await this.current(tenantId);
    let key = this.privateKeys.get(`${tenantId}/${row.key_id}`);
    if (!key) {
      key = createPrivateKey(this.cipher.decrypt(Buffer.from(row.private_key_cipher, 'base64')));
      this.privateKeys.set(`${tenantId}/${row.key_id}`, key);
    }
    return { keyId: row.key_id, signature: sign(null, message, key).toString('base64') };
  }
}
