import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PostedTransaction } from './domain/model';

/** Test seam: runs after everything is written and before commit. */
export type BeforeCommitHook = (m: EntityManager, posted: PostedTransaction[]) => Promise<void> | void;

/**
 * Seams for tests, unset in production: a hook that runs after a batch is
 * written and before it commits (to prove a failure there leaves nothing
 * behind), and one that runs on the cached path once a batch's turn to lock
 * has come, just before its guarded statement is sent (a delay there lets the
 * next batch check meanwhile, the interleaving that must not change what this
 * batch writes).
 */
@Injectable()
export class LedgerHooks {
  beforeCommit?: BeforeCommitHook;
  beforeGuardedWrite?: () => Promise<void>;
}
