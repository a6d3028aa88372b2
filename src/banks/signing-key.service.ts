import { Injectable, OnModuleInit } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../platform/config/app-config';
import { PiiCipher } from '../platform/crypto/pii';

/**
 * The deployment's Ed25519 key pair for signed bank exports: generated once,
 * the first time any instance starts, and kept in the database (the private
 * key encrypted with the PII key), so every instance signs with the same key
 * and the published public key stays valid across restarts.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private privateKey!: KeyObject;
  private publicKey!: KeyObject;
  private readonly cipher: PiiCipher;

  constructor(
    private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.cipher = new PiiCipher(config.piiKey);
  }

  async onModuleInit(): Promise<void> {
    let [row] = await this.dataSource.query(`SELECT public_key, private_key_cipher FROM signing_keys WHERE id = 1`);
    if (!row) {
      const pair = generateKeyPairSync('ed25519');
      const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await this.dataSource.query(`INSERT INTO signing_keys (id, public_key, private_key_cipher) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [
        pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        this.cipher.encrypt(pem).toString('base64'),
      ]);
      [row] = await this.dataSource.query(`SELECT public_key, private_key_cipher FROM signing_keys WHERE id = 1`); // another instance may have won
    }
    this.privateKey = createPrivateKey(this.cipher.decrypt(Buffer.from(row.private_key_cipher, 'base64')));
    this.publicKey = createPublicKey({ key: Buffer.from(row.public_key, 'base64'), format: 'der', type: 'spki' });
  }

  /** What a bank needs to verify an export: the key, and what exactly is signed. */
  describe() {
    return {
      algorithm: 'Ed25519',
      publicKey: this.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      publicKeyPem: this.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      signedMessage: 'UTF-8 bytes of: X-Export-Digest + "\\n" + X-Export-Run-Id + "\\n" + your bankId',
    };
  }

  /** The message an export's signature covers. */
  static message(digestHex: string, runId: string, bankId: string): Buffer {
    return Buffer.from(`${digestHex}\n${runId}\n${bankId}`, 'utf8');
  }

  sign(message: Buffer): string {
    return sign(null, message, this.privateKey).toString('base64');
  }

  verify(message: Buffer, signature: string): boolean {
    return verify(null, message, this.publicKey, Buffer.from(signature, 'base64'));
  }
}
