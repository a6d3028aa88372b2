import { Module } from '@nestjs/common';
import * as path from 'path';
import { AppConfig } from '../platform/config/app-config';
import { EVIDENCE_STORE, FsEvidenceStore } from './evidence-store';
import { EvidenceService } from './evidence.service';

/**
 * Evidence photos: content-addressed, metadata stripped, never deleted
 * (docs/evidence.md). The store is the filesystem under EVIDENCE_DIR; another
 * store (S3-compatible) is one provider swapped here.
 */
@Module({
  providers: [
    EvidenceService,
    { provide: EVIDENCE_STORE, inject: [AppConfig], useFactory: (c: AppConfig) => new FsEvidenceStore(path.resolve(c.evidenceDir)) },
  ],
  exports: [EvidenceService],
})
export class EvidenceModule {}
