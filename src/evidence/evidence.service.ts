import { Inject, Injectable } from '@nestjs/common';
import sharp, { type OutputInfo } from 'sharp';
import type { Readable } from 'stream';
import { DataSource } from 'typeorm';
import { queryRows } from '../platform/database/query-rows';
import { requireTenant } from '../platform/database/tenant';
import { AppError, NotFound, Unprocessable } from '../platform/http/app-error';
import { sha256Hex } from '../platform/util/sha256';
import { EVIDENCE_STORE, type EvidenceStore } from './evidence-store';

/** A photo's largest size as uploaded. */
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
/** Pixels a photo may decode to (a 12-megapixel phone photo is 12 million): more is refused before decoding. */
const MAX_PIXELS = 50_000_000;

export interface StoredEvidence {
  /** How records name it: `sha256:<hex>`. */
  ref: string;
  mediaType: 'image/jpeg' | 'image/png';
  bytes: number;
  width: number;
  height: number;
}

/** JPEG or PNG, by the file's first bytes (its name and declared type are not trusted). */
export function sniffImage(bytes: Buffer): 'jpeg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return null;
}

/**
 * Evidence photos (issue 21): checked by content, re-encoded without any
 * metadata (EXIF, GPS, XMP, comments; turned upright first, as the camera's
 * orientation tag said), stored content-addressed by the SHA-256 of what is
 * kept, once however often it is uploaded, and never deleted.
 */
@Injectable()
export class EvidenceService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVIDENCE_STORE) private readonly store: EvidenceStore,
  ) {}

  /**
   * Takes one photo: 415 if it is not a JPEG or PNG by content, or if its name
   * says it is something else (a picture named setup.exe is not what a
   * villager meant to send); 422 if it is too large or cannot be read.
   */
  async accept(tenantId: string, actor: string, upload: Buffer, name?: string, field = 'photo'): Promise<StoredEvidence> {
    if (name && /\.[^./\\]{1,8}$/.test(name) && !/\.(jpe?g|png)$/i.test(name)) throw new AppError(415, 'unsupported-media-type', `${field}：只收 JPEG 或 PNG 照片（文件名是 ${name}）`);
    if (upload.length > MAX_PHOTO_BYTES) throw new Unprocessable(`${field}：照片不能超过 5 MB（这张 ${(upload.length / 1024 / 1024).toFixed(1)} MB）`, 'photo-too-large');
    const kind = sniffImage(upload);
    if (!kind) throw new AppError(415, 'unsupported-media-type', `${field}：只收 JPEG 或 PNG 照片`);
    let out: { data: Buffer; info: OutputInfo };
    try {
      const image = sharp(upload, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
      // sharp writes no metadata unless asked (withMetadata/keepExif): the output carries pixels only.
      out = await (kind === 'jpeg' ? image.jpeg({ quality: 85 }) : image.png()).toBuffer({ resolveWithObject: true });
    } catch {
      throw new Unprocessable(`${field}：照片打不开，请重新拍一张`, 'photo-unreadable');
    }
    const sha256 = sha256Hex(out.data);
    await this.store.put(sha256, out.data);
    const mediaType = kind === 'jpeg' ? 'image/jpeg' : 'image/png';
    await this.dataSource.query(
      `INSERT INTO evidence_files (tenant_id, sha256, media_type, bytes, width, height, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, sha256) DO NOTHING`,
      [requireTenant(tenantId), sha256, mediaType, out.data.length, out.info.width, out.info.height, actor],
    );
    return { ref: `sha256:${sha256}`, mediaType, bytes: out.data.length, width: out.info.width, height: out.info.height };
  }

  /** A stored photo of this tenant, by its reference; 404 if the tenant holds none such. */
  async open(tenantId: string, ref: string): Promise<{ mediaType: string; bytes: number; body: Readable }> {
    const sha256 = /^sha256:([0-9a-f]{64})$/.exec(ref)?.[1];
    if (!sha256) throw new NotFound('evidence');
    const [row] = await queryRows<{ media_type: string; bytes: number }>(
      this.dataSource,
      `SELECT media_type, bytes FROM evidence_files WHERE tenant_id = $1 AND sha256 = $2`,
      [requireTenant(tenantId), sha256],
    );
    const body = row ? await this.store.open(sha256) : null;
    if (!row || !body) throw new NotFound('evidence');
    return { mediaType: row.media_type, bytes: row.bytes, body };
  }
}
