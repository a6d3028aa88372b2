import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { assertRegionInScope, KeyPrincipal } from '../auth/principal';
import { HoldersService } from '../holders/holders.service';
import { updateReturning } from '../platform/database/returning';
import { requireTenant } from '../platform/database/tenant';
import { NotFound, TooManyAttempts, Unprocessable } from '../platform/http/app-error';
import { queryRows } from '../platform/database/query-rows';

export const MAX_PIN_FAILURES = 5;
export const PIN_LOCK_MINUTES = 15;

type PinHolder = 'household' | 'person';

/**
 * The holder's PIN authorises every redemption. Wrong PINs are counted per
 * holder in their own statements (so the count survives the refused request's
 * rollback); the fifth in a row locks the holder's redemptions for 15 minutes
 * (429 with Retry-After), and each lock is kept in pin_lockouts and logged.
 * The household's own page checks its PIN here too (no shop), so wrong PINs
 * at a shop and on the page count together and one lock stops both.
 */
@Injectable()
export class PinGuardService {
  private readonly logger = new Logger('PinGuard');

  constructor(
    private readonly dataSource: DataSource,
    private readonly holders: HoldersService,
  ) {}

  async check(tenantId: string, type: PinHolder, holderId: string, pin: string, context: { shopId: string | null; actor: string }): Promise<void> {
    const [guard] = await queryRows<{ wait: number }>(
      this.dataSource,
      `SELECT CEIL(EXTRACT(EPOCH FROM locked_until - now()))::int AS wait FROM pin_guards
        WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3 AND locked_until > now()`,
      [requireTenant(tenantId), type, holderId],
    );
    if (guard) throw new TooManyAttempts(`PIN 错误次数过多，请 ${Math.ceil(guard.wait / 60)} 分钟后再试`, guard.wait);
    const pinCheck = await this.holders.checkPin(tenantId, type, holderId, pin);
    if (pinCheck === 'not-set') throw new Unprocessable('这位持有人还没有设置 PIN，请村务人员先设置', 'pin-not-set');
    if (pinCheck === 'match') {
      await this.dataSource.query(`UPDATE pin_guards SET failures = 0 WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3 AND failures > 0`, [tenantId, type, holderId]);
      return;
    }
    const [{ failures }] = await queryRows<{ failures: number }>(
      this.dataSource,
      `INSERT INTO pin_guards (tenant_id, holder_type, holder_id, failures) VALUES ($1, $2, $3, 1)
       ON CONFLICT (tenant_id, holder_type, holder_id) DO UPDATE SET failures = pin_guards.failures + 1
       RETURNING failures`,
      [tenantId, type, holderId],
    );
    if (failures < MAX_PIN_FAILURES) throw new Unprocessable(`PIN 不正确，还可以再试 ${MAX_PIN_FAILURES - failures} 次`, 'pin-incorrect');
    const [lock] = await updateReturning<{ locked_until: Date }>(
      this.dataSource.manager,
      `UPDATE pin_guards SET failures = 0, locked_until = now() + make_interval(mins => $4)
        WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3 RETURNING locked_until`,
      [tenantId, type, holderId, PIN_LOCK_MINUTES],
    );
    await this.dataSource.query(
      `INSERT INTO pin_lockouts (tenant_id, holder_type, holder_id, shop_id, actor, locked_until) VALUES ($1, $2, $3, $4, $5, $6)`,
      [tenantId, type, holderId, context.shopId, context.actor, lock.locked_until],
    );
    this.logger.warn({ tenantId, holderType: type, holderId, shopId: context.shopId, actor: context.actor, lockedUntil: lock.locked_until }, 'redemptions locked after 5 wrong PINs');
    throw new TooManyAttempts(`PIN 连续错误 ${MAX_PIN_FAILURES} 次，兑换已锁定 ${PIN_LOCK_MINUTES} 分钟`, PIN_LOCK_MINUTES * 60);
  }

  /** A clerk sets or changes a holder's PIN (in the clerk's scope); it also clears a lock. */
  async setPin(p: KeyPrincipal, type: PinHolder, holderId: string, pin: string): Promise<{ updated: true }> {
    const holder = await this.holders.find(p.tenantId, type, holderId);
    if (!holder) throw new NotFound(`${type} ${holderId}`);
    assertRegionInScope(p, holder.regionCode, `${type} ${holderId}`);
    await this.holders.setPin(p.tenantId, type, holderId, pin);
    await this.dataSource.query(`DELETE FROM pin_guards WHERE tenant_id = $1 AND holder_type = $2 AND holder_id = $3`, [p.tenantId, type, holderId]);
    return { updated: true };
  }
}
