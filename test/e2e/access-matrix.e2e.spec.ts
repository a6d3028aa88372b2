import { randomUUID } from 'node:crypto';
import { ROLES, Role } from '../../src/auth/principal';
import { asAdmin, bearer, startTestApp, TestApp } from '../helpers/test-app';
import { County, makeCounty, makeHousehold, makePerson, makeUser, newIdempotencyKey, newPhone } from '../helpers/fixtures';
import { USER_ROLES } from '../../src/auth/users.dto';

/**
 * Every endpoint, every role, as a key and as a signed-in user (every role but
 * bank, which is only ever a machine): allowed roles get past the guard, the
 * others get 403, nobody gets in without a key or a session. A route missing from this table fails the
 * coverage test below, so new endpoints must declare their matrix here.
 */
interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string; // OpenAPI form, e.g. /v1/api-keys/{id}
  url: (c: County) => string;
  body?: (c: County) => object;
  platform: boolean;
  roles: Role[];
  public?: boolean;
}

const READERS: Role[] = ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'];
const fx = { household: '', person: '', transaction: '', ruleSet: '', record: '' };

const ENDPOINTS: Endpoint[] = [
  { method: 'get', path: '/health', url: () => '/health', platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/metrics', url: () => '/metrics', platform: true, roles: [...ROLES], public: true },
  { method: 'post', path: '/v1/tenants', url: () => '/v1/tenants', body: () => ({ regionCode: 'x', name: '' }), platform: true, roles: [] },
  { method: 'get', path: '/v1/tenants', url: () => '/v1/tenants', platform: true, roles: ['admin', 'auditor'] },
  {
    method: 'post',
    path: '/v1/regions',
    url: () => '/v1/regions',
    body: (c) => ({ code: `${c.townships[0]}009`, name: '新村', parentCode: c.townships[0] }),
    platform: true,
    roles: ['admin'],
  },
  { method: 'get', path: '/v1/regions', url: (c) => `/v1/regions?under=${c.county}`, platform: true, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] },
  { method: 'post', path: '/v1/api-keys', url: () => '/v1/api-keys', body: (c) => ({ tenantId: c.tenantId, name: 'k', role: 'auditor' }), platform: true, roles: ['admin'] },
  { method: 'get', path: '/v1/api-keys', url: (c) => `/v1/api-keys?tenantId=${c.tenantId}`, platform: true, roles: ['admin', 'auditor'] },
  { method: 'get', path: '/v1/api-keys/events', url: (c) => `/v1/api-keys/events?tenantId=${c.tenantId}`, platform: true, roles: ['admin', 'auditor'] },
  { method: 'delete', path: '/v1/api-keys/{id}', url: () => '/v1/api-keys/00000000-0000-4000-8000-000000000000', platform: true, roles: ['admin'] },
  // holders
  { method: 'post', path: '/v1/households', url: () => '/v1/households', body: (c) => ({ villageCode: c.villages[0], headName: '赵六' }), platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/households', url: () => '/v1/households?q=x', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/households/{id}', url: () => `/v1/households/${fx.household}`, platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/households/{id}/card', url: () => `/v1/households/${fx.household}/card`, platform: false, roles: ['admin', 'clerk'] },
  { method: 'post', path: '/v1/households/{id}/card/rotate', url: () => '/v1/households/00000000-0000-4000-8000-000000000000/card/rotate', platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/villages/{code}/cards', url: (c) => `/v1/villages/${c.villages[0]}/cards`, platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/h/{token}', url: () => '/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', platform: true, roles: [...ROLES], public: true },
  // The villagers' page: public (a card's token and the household's PIN session are its keys, tested in villagers-page.e2e.spec.ts).
  { method: 'post', path: '/h/{token}/session', url: () => '/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/session', body: () => ({ pin: '1234' }), platform: true, roles: [...ROLES], public: true },
  { method: 'delete', path: '/h/{token}/session', url: () => '/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/session', platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/h/{token}/history', url: () => '/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/history', platform: true, roles: [...ROLES], public: true },
  { method: 'post', path: '/h/{token}/claims', url: () => '/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/claims', body: () => ({ ruleCode: 'R01', occurredOn: '2026-01-02' }), platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/v1/reports/participation', url: () => '/v1/reports/participation?period=2026-01', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'organizer'] },
  { method: 'post', path: '/v1/jobs/base-grants', url: () => '/v1/jobs/base-grants', body: () => ({ period: '2026-01' }), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/records/{id}/evidence/{n}', url: () => `/v1/records/${fx.record}/evidence/0`, platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/people', url: () => '/v1/people', body: (c) => ({ regionCode: c.villages[0], name: '钱七' }), platform: false, roles: ['admin', 'clerk', 'organizer'] },
  { method: 'get', path: '/v1/people', url: () => '/v1/people?q=%E6%9D%8E', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/people/{id}', url: () => `/v1/people/${fx.person}`, platform: false, roles: [...READERS] },
  // ledger
  { method: 'get', path: '/v1/assets', url: () => '/v1/assets', platform: false, roles: [...ROLES] },
  { method: 'post', path: '/v1/assets', url: () => '/v1/assets', body: () => ({ code: `A${Date.now() % 1e6}`, name: 'x', holderType: 'household', scale: 0, redeemable: false }), platform: false, roles: ['admin'] },
  {
    method: 'post',
    path: '/v1/transfers',
    url: () => '/v1/transfers',
    body: () => ({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: fx.household }, amount: '1', memo: 'matrix' }),
    platform: false,
    roles: ['admin'],
  },
  { method: 'get', path: '/v1/transactions/{id}', url: () => `/v1/transactions/${fx.transaction}`, platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/transactions/{id}/reverse', url: () => `/v1/transactions/${fx.transaction}/reverse`, body: () => ({ reason: 'matrix' }), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/holders/{type}/{id}/balances', url: () => `/v1/holders/household/${fx.household}/balances`, platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/holders/{type}/{id}/entries', url: () => `/v1/holders/household/${fx.household}/entries`, platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/ledger/verify', url: () => '/v1/ledger/verify', platform: false, roles: ['admin', 'auditor'] },
  // rule sets
  {
    method: 'post',
    path: '/v1/rulesets',
    url: () => '/v1/rulesets',
    body: (c) => ({ regionCode: c.county, asset: 'CONDUCT', name: 'm', effectiveFrom: '2030-01-01', items: [{ code: 'R01', name: 'x', direction: 'credit', points: '1' }] }),
    platform: false,
    roles: ['admin'],
  },
  { method: 'get', path: '/v1/rulesets', url: () => '/v1/rulesets', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/rulesets/applicable', url: (c) => `/v1/rulesets/applicable?villageCode=${c.villages[0]}&asset=CONDUCT`, platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/rulesets/{id}', url: () => `/v1/rulesets/${fx.ruleSet}`, platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/rulesets/{id}/activate', url: () => `/v1/rulesets/${fx.ruleSet}/activate`, platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/rulesets/{id}/simulate', url: () => `/v1/rulesets/${fx.ruleSet}/simulate`, body: () => ({ from: '2026-01-01', to: '2026-01-31' }), platform: false, roles: ['admin', 'auditor', 'reviewer'] },
  // records
  {
    method: 'post',
    path: '/v1/records',
    url: () => '/v1/records',
    body: () => ({ holder: { type: 'household', id: fx.household }, ruleCode: 'R01', occurredOn: '2026-01-02' }),
    platform: false,
    roles: ['admin', 'clerk'],
  },
  { method: 'get', path: '/v1/records', url: () => '/v1/records', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/records/{id}', url: () => `/v1/records/${fx.record}`, platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/records/{id}/approve', url: () => `/v1/records/${fx.record}/approve`, platform: false, roles: ['admin', 'reviewer'] },
  { method: 'post', path: '/v1/records/{id}/reject', url: () => `/v1/records/${fx.record}/reject`, body: () => ({ reason: 'm' }), platform: false, roles: ['admin', 'reviewer'] },
  { method: 'post', path: '/v1/records/{id}/objections', url: () => `/v1/records/${fx.record}/objections`, body: () => ({ reason: 'm', raisedBy: 'm' }), platform: false, roles: ['admin', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/records/{id}/resolve', url: () => `/v1/records/${fx.record}/resolve`, body: () => ({ outcome: 'upheld', reason: 'm' }), platform: false, roles: ['admin', 'reviewer'] },
  { method: 'post', path: '/v1/records/{id}/void', url: () => `/v1/records/${fx.record}/void`, body: () => ({ reason: 'm' }), platform: false, roles: ['admin', 'reviewer'] },
  { method: 'get', path: '/v1/households/{id}/eligibility', url: () => `/v1/households/${fx.household}/eligibility?benefit=REDEEM`, platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/records/import', url: () => '/v1/records/import', body: () => ({}), platform: false, roles: ['admin', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/records/import/template', url: (c) => `/v1/records/import/template?villageCode=${c.villages[0]}`, platform: false, roles: ['admin', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/records/imports', url: () => '/v1/records/imports?pending=true', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/records/imports/{id}/approve', url: () => `/v1/records/imports/${randomUUID()}/approve`, body: () => ({}), platform: false, roles: ['admin', 'reviewer'] },
  // shops, redemption, settlement, funds
  { method: 'post', path: '/v1/funds', url: () => '/v1/funds', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/funds', url: () => '/v1/funds', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/funds/{id}', url: (c) => `/v1/funds/${c.fundId}`, platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/funds/{id}/donations', url: (c) => `/v1/funds/${c.fundId}/donations`, body: () => ({}), platform: false, roles: ['admin', 'clerk'] },
  { method: 'post', path: '/v1/shops', url: () => '/v1/shops', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/shops', url: () => '/v1/shops', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'shopkeeper'] },
  { method: 'get', path: '/v1/shops/{id}', url: (c) => `/v1/shops/${c.shopId}`, platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'shopkeeper'] },
  { method: 'post', path: '/v1/shops/{id}/items', url: (c) => `/v1/shops/${c.shopId}/items`, body: () => ({}), platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'get', path: '/v1/shops/{id}/items', url: (c) => `/v1/shops/${c.shopId}/items`, platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer', 'shopkeeper'] },
  { method: 'post', path: '/v1/shops/{id}/items/{sku}/stock', url: (c) => `/v1/shops/${c.shopId}/items/NONE/stock`, body: () => ({ change: 1 }), platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'post', path: '/v1/redemptions', url: () => '/v1/redemptions', body: () => ({}), platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'get', path: '/v1/redemptions', url: (c) => `/v1/redemptions?shopId=${c.shopId}`, platform: false, roles: ['admin', 'auditor', 'shopkeeper'] },
  { method: 'get', path: '/v1/redemptions/{id}', url: () => '/v1/redemptions/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'shopkeeper'] },
  { method: 'post', path: '/v1/redemptions/{id}/complete', url: () => '/v1/redemptions/00000000-0000-4000-8000-000000000000/complete', platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'post', path: '/v1/redemptions/{id}/cancel', url: () => '/v1/redemptions/00000000-0000-4000-8000-000000000000/cancel', platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'post', path: '/v1/redemptions/{id}/refund', url: () => '/v1/redemptions/00000000-0000-4000-8000-000000000000/refund', body: () => ({ reason: 'm' }), platform: false, roles: ['admin', 'shopkeeper'] },
  { method: 'put', path: '/v1/holders/{type}/{id}/pin', url: () => `/v1/holders/household/${fx.household}/pin`, body: () => ({ pin: '123456' }), platform: false, roles: ['admin', 'clerk'] },
  { method: 'post', path: '/v1/settlements', url: () => '/v1/settlements', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/settlements', url: (c) => `/v1/settlements?shopId=${c.shopId}`, platform: false, roles: ['admin', 'auditor', 'shopkeeper'] },
  { method: 'get', path: '/v1/settlements/{id}', url: () => '/v1/settlements/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'shopkeeper'] },
  { method: 'get', path: '/v1/settlements/{id}/statement.csv', url: () => '/v1/settlements/00000000-0000-4000-8000-000000000000/statement.csv', platform: false, roles: ['admin', 'auditor', 'shopkeeper'] },
  { method: 'post', path: '/v1/settlements/{id}/paid', url: () => '/v1/settlements/00000000-0000-4000-8000-000000000000/paid', body: () => ({ reference: 'm' }), platform: false, roles: ['admin'] },
  // credit grades, banks, boards
  { method: 'post', path: '/v1/scorecards', url: () => '/v1/scorecards', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/scorecards', url: () => '/v1/scorecards', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/scorecards/{id}', url: () => '/v1/scorecards/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/grade-runs', url: () => '/v1/grade-runs', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/grade-runs', url: () => '/v1/grade-runs', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/grade-runs/{id}', url: () => '/v1/grade-runs/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/grade-runs/{id}/publish', url: () => '/v1/grade-runs/00000000-0000-4000-8000-000000000000/publish', platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/grade-runs/{id}/households/{householdId}', url: () => '/v1/grade-runs/00000000-0000-4000-8000-000000000000/households/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/banks', url: () => '/v1/banks', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/banks', url: () => '/v1/banks', platform: false, roles: ['admin', 'auditor', 'clerk'] },
  { method: 'post', path: '/v1/consents', url: () => '/v1/consents', body: () => ({}), platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/consents', url: () => '/v1/consents', platform: false, roles: ['admin', 'auditor', 'clerk'] },
  { method: 'delete', path: '/v1/consents/{id}', url: () => '/v1/consents/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/consents/{id}/history', url: () => '/v1/consents/00000000-0000-4000-8000-000000000000/history', platform: false, roles: ['admin', 'auditor', 'clerk'] },
  { method: 'get', path: '/v1/bank/signing-key', url: () => '/v1/bank/signing-key', platform: false, roles: ['admin', 'auditor', 'bank'] },
  { method: 'get', path: '/v1/bank/signing-keys', url: () => '/v1/bank/signing-keys', platform: false, roles: ['admin', 'auditor', 'bank'] },
  { method: 'post', path: '/v1/bank/signing-keys', url: () => '/v1/bank/signing-keys', platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/bank/grades', url: () => '/v1/bank/grades?idNumber=x', platform: false, roles: ['bank'] },
  { method: 'get', path: '/v1/bank/grades/export', url: () => '/v1/bank/grades/export?format=x', platform: false, roles: ['bank'] },
  { method: 'post', path: '/v1/bank/loans', url: () => '/v1/bank/loans', body: () => ({}), platform: false, roles: ['bank'] },
  { method: 'get', path: '/v1/bank-access-log', url: () => '/v1/bank-access-log', platform: false, roles: ['admin', 'auditor'] },
  { method: 'get', path: '/v1/reports/points', url: () => '/v1/reports/points', platform: false, roles: ['admin', 'auditor'] },
  { method: 'get', path: '/v1/reports/credit', url: () => '/v1/reports/credit', platform: false, roles: ['admin', 'auditor'] },
  { method: 'post', path: '/v1/boards', url: () => '/v1/boards', body: () => ({}), platform: false, roles: ['admin', 'reviewer'] },
  { method: 'get', path: '/v1/boards', url: () => '/v1/boards', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'get', path: '/v1/boards/{id}', url: () => '/v1/boards/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor', 'clerk', 'reviewer'] },
  { method: 'post', path: '/v1/boards/{id}/publish', url: () => '/v1/boards/00000000-0000-4000-8000-000000000000/publish', platform: false, roles: ['admin', 'reviewer'] },
  { method: 'get', path: '/public/boards/{villageCode}/{period}', url: (c) => `/public/boards/${c.villages[0]}/2026-01`, platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/public/ledger/anchors', url: (c) => `/public/ledger/anchors?tenant=${c.county}`, platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/public/grades/{villageCode}', url: (c) => `/public/grades/${c.villages[0]}`, platform: true, roles: [...ROLES], public: true },
  // service orders
  { method: 'post', path: '/v1/teams', url: () => '/v1/teams', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/teams', url: () => '/v1/teams', platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/service-menu', url: () => '/v1/service-menu', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/service-menu', url: (c) => `/v1/service-menu?villageCode=${c.villages[0]}`, platform: false, roles: [...READERS] },
  { method: 'put', path: '/v1/service-settings', url: () => '/v1/service-settings', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/service-orders', url: () => '/v1/service-orders', body: () => ({}), platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/service-orders', url: () => '/v1/service-orders', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/service-orders/{id}', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000', platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/service-orders/{id}/dispatch', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/dispatch', body: () => ({ teamId: '00000000-0000-4000-8000-000000000000' }), platform: false, roles: ['admin', 'reviewer'] },
  { method: 'post', path: '/v1/service-orders/{id}/accept', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/accept', platform: false, roles: ['admin', 'organizer'] },
  { method: 'post', path: '/v1/service-orders/{id}/decline', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/decline', body: () => ({ reason: 'm' }), platform: false, roles: ['admin', 'organizer'] },
  { method: 'post', path: '/v1/service-orders/{id}/cancel', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/cancel', body: () => ({ reason: 'm' }), platform: false, roles: ['admin', 'clerk'] },
  { method: 'post', path: '/v1/service-orders/{id}/deliver', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/deliver', body: () => ({ entries: [] }), platform: false, roles: ['admin', 'organizer'] },
  { method: 'post', path: '/v1/service-orders/{id}/rate', url: () => '/v1/service-orders/00000000-0000-4000-8000-000000000000/rate', body: () => ({ stars: 5 }), platform: false, roles: ['admin', 'clerk'] },
  { method: 'get', path: '/v1/reports/service-orders', url: () => '/v1/reports/service-orders', platform: false, roles: ['admin', 'auditor', 'reviewer'] },
  { method: 'post', path: '/v1/jobs/service-orders-overdue', url: () => '/v1/jobs/service-orders-overdue', platform: false, roles: ['admin'] },
  // volunteering
  {
    method: 'post',
    path: '/v1/activities',
    url: () => '/v1/activities',
    body: (c) => ({ title: 'm', category: 'm', regionCode: c.villages[0], startsAt: '2026-06-01T01:00:00Z', endsAt: '2026-06-01T02:00:00Z' }),
    platform: false,
    roles: ['admin', 'organizer'],
  },
  { method: 'get', path: '/v1/activities', url: () => '/v1/activities', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/activities/{id}', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000', platform: false, roles: [...READERS] },
  { method: 'get', path: '/v1/service-records', url: () => '/v1/service-records', platform: false, roles: ['admin', 'auditor', 'reviewer', 'organizer'] },
  { method: 'post', path: '/v1/activities/{id}/approve', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000/approve', platform: false, roles: ['admin', 'reviewer'] },
  { method: 'post', path: '/v1/activities/{id}/attendance', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000/attendance', body: () => ({ entries: [] }), platform: false, roles: ['admin', 'organizer'] },
  { method: 'post', path: '/v1/activities/{id}/check-ins', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000/check-ins', body: () => ({}), platform: false, roles: ['admin', 'organizer'] },
  { method: 'post', path: '/v1/activities/{id}/check-outs', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000/check-outs', body: () => ({}), platform: false, roles: ['admin', 'organizer'] },
  { method: 'get', path: '/v1/activities/{id}/check-ins', url: () => '/v1/activities/00000000-0000-4000-8000-000000000000/check-ins', platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/service-records/{id}/verify', url: () => '/v1/service-records/00000000-0000-4000-8000-000000000000/verify', platform: false, roles: ['admin', 'reviewer', 'organizer'] },
  { method: 'get', path: '/v1/people/{id}/service', url: () => `/v1/people/${fx.person}/service`, platform: false, roles: [...READERS] },
  { method: 'post', path: '/v1/jobs/post-records', url: () => '/v1/jobs/post-records', platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/jobs/expire', url: () => '/v1/jobs/expire', body: () => ({ asOf: '2001-01-01' }), platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/jobs/evaluate-sanctions', url: () => '/v1/jobs/evaluate-sanctions', platform: false, roles: ['admin'] },
  // go-live migrations
  { method: 'post', path: '/v1/migrations', url: () => '/v1/migrations', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'get', path: '/v1/migrations/{id}', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000', platform: false, roles: ['admin', 'auditor'] },
  { method: 'post', path: '/v1/migrations/{id}/opening-balances', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000/opening-balances', platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/migrations/{id}/records', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000/records', platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/migrations/{id}/service-hours', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000/service-hours', platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/migrations/{id}/control-totals', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000/control-totals', body: () => ({}), platform: false, roles: ['admin'] },
  { method: 'post', path: '/v1/migrations/{id}/approve', url: () => '/v1/migrations/00000000-0000-4000-8000-000000000000/approve', platform: false, roles: ['admin'] },
  // people and sign-in
  { method: 'post', path: '/v1/users', url: () => '/v1/users', body: () => ({ name: '矩阵', phone: newPhone(), role: 'auditor' }), platform: true, roles: ['admin'] },
  { method: 'get', path: '/v1/users', url: (c) => `/v1/users?tenantId=${c.tenantId}`, platform: true, roles: ['admin', 'auditor'] },
  { method: 'post', path: '/v1/users/{id}/disable', url: () => '/v1/users/00000000-0000-4000-8000-000000000000/disable', platform: true, roles: ['admin'] },
  { method: 'post', path: '/v1/users/{id}/enable', url: () => '/v1/users/00000000-0000-4000-8000-000000000000/enable', platform: true, roles: ['admin'] },
  { method: 'post', path: '/v1/users/{id}/reset-password', url: () => '/v1/users/00000000-0000-4000-8000-000000000000/reset-password', platform: true, roles: ['admin'] },
  { method: 'post', path: '/v1/sessions', url: () => '/v1/sessions', body: () => ({}), platform: true, roles: [...ROLES], public: true },
  { method: 'get', path: '/v1/me', url: () => '/v1/me', platform: true, roles: [...ROLES] },
  { method: 'put', path: '/v1/me/password', url: () => '/v1/me/password', body: () => ({}), platform: false, roles: [...USER_ROLES] },
  // last: for a user it ends the session the rows above use
  { method: 'delete', path: '/v1/sessions/current', url: () => '/v1/sessions/current', platform: true, roles: [...ROLES] },
];

describe('access matrix: every endpoint × every role (e2e)', () => {
  let t: TestApp;
  let c: County;
  const users = {} as Record<(typeof USER_ROLES)[number], string>;
  beforeAll(async () => {
    t = await startTestApp();
    c = await makeCounty(t);
    const scoped = { scopeRegionCode: c.villages[0] };
    const extra: Record<(typeof USER_ROLES)[number], Record<string, string>> = { admin: {}, auditor: {}, clerk: scoped, reviewer: scoped, organizer: scoped, shopkeeper: { shopId: c.shopId } };
    await Promise.all(USER_ROLES.map(async (role) => (users[role] = (await makeUser(t, c.keys.admin, role, `矩阵${role}`, extra[role])).token)));
    fx.household = await makeHousehold(t, c.keys.clerk, c.villages[0]);
    fx.person = await makePerson(t, c.keys.clerk, c.villages[0]);
    const tx = await t.http().post('/v1/transfers').set(bearer(c.keys.admin)).set('Idempotency-Key', newIdempotencyKey())
      .send({ asset: 'CONDUCT', from: 'issuer', to: { type: 'household', id: fx.household }, amount: '5', memo: 'fixture' });
    fx.transaction = tx.body.id;
    const rs = await t.http().post('/v1/rulesets').set(bearer(c.keys.admin))
      .send({ regionCode: c.county, asset: 'CONDUCT', name: 'fixture', effectiveFrom: '2026-01-01', items: [{ code: 'R01', name: 'x', direction: 'credit', points: '1' }] });
    fx.ruleSet = rs.body.id;
    await t.http().post(`/v1/rulesets/${rs.body.id}/activate`).set(bearer(c.keys.admin));
    const rec = await t.http().post('/v1/records').set(bearer(c.keys.clerk))
      .send({ holder: { type: 'household', id: fx.household }, ruleCode: 'R01', occurredOn: '2026-01-02' });
    fx.record = rec.body.id;
  });
  afterAll(async () => t.close());

  it('covers every route the application serves', async () => {
    const doc = await t.http().get('/docs-json');
    const served = Object.entries(doc.body.paths as Record<string, object>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    const listed = ENDPOINTS.map((e) => `${e.method} ${e.path}`);
    expect(served.sort()).toEqual(listed.sort());
  });

  for (const e of ENDPOINTS) {
    const send = (headers: Record<string, string>) => {
      const req = t.http()[e.method](e.url(c)).set(headers);
      return e.body ? req.send(e.body(c)) : req;
    };

    describe(`${e.method.toUpperCase()} ${e.path}`, () => {
      if (!e.public) {
        it('401 without a key', async () => {
          expect((await send({})).status).toBe(401);
        });
      }
      it(`platform admin ${e.platform ? 'allowed' : '403'}`, async () => {
        const res = await send(asAdmin);
        if (e.platform) expect([401, 403]).not.toContain(res.status);
        else expect(res.status).toBe(403);
      });
      for (const role of ROLES) {
        const allowed = e.roles.includes(role);
        it(`${role} ${allowed ? 'allowed' : '403'}`, async () => {
          const res = await send(bearer(c.keys[role]));
          if (allowed) expect([401, 403]).not.toContain(res.status);
          else {
            expect(res.status).toBe(403);
            expect(res.body.code).toBe('role-not-allowed');
          }
        });
      }
      for (const role of USER_ROLES) {
        const allowed = e.roles.includes(role);
        it(`${role} user ${allowed ? 'allowed' : '403'}`, async () => {
          const res = await send(bearer(users[role]));
          if (allowed) expect([401, 403]).not.toContain(res.status);
          else {
            expect(res.status).toBe(403);
            expect(res.body.code).toBe('role-not-allowed');
          }
        });
      }
    });
  }

  describe('region scope', () => {
    it('users of another village get 404 for this village\'s holders, as keys do', async () => {
      const other = await makeUser(t, c.keys.admin, 'clerk', '外村文书', { scopeRegionCode: c.villages[2] });
      expect((await t.http().get(`/v1/households/${fx.household}`).set(bearer(other.token))).status).toBe(404);
      expect((await t.http().get(`/v1/holders/household/${fx.household}/balances`).set(bearer(other.token))).status).toBe(404);
      expect((await t.http().post('/v1/households').set(bearer(other.token)).send({ villageCode: c.villages[0], headName: 'x' })).status).toBe(404);
    });

    it('keys of another village get 404 for this village\'s holders and transactions', async () => {
      for (const role of ['clerk', 'reviewer', 'organizer'] as const) {
        const k = bearer(c.otherVillageKeys[role]);
        expect((await t.http().get(`/v1/households/${fx.household}`).set(k)).status).toBe(404);
        expect((await t.http().get(`/v1/people/${fx.person}`).set(k)).status).toBe(404);
        expect((await t.http().get(`/v1/holders/household/${fx.household}/balances`).set(k)).status).toBe(404);
        expect((await t.http().get(`/v1/holders/household/${fx.household}/entries`).set(k)).status).toBe(404);
        expect((await t.http().get(`/v1/transactions/${fx.transaction}`).set(k)).status).toBe(404);
      }
      const write = await t.http().post('/v1/households').set(bearer(c.otherVillageKeys.clerk)).send({ villageCode: c.villages[0], headName: 'x' });
      expect(write.status).toBe(404);
    });

    it('a clerk of one village sees only that village, and 404 for a village elsewhere', async () => {
      const other = await t.http().get(`/v1/regions?under=${c.villages[2]}`).set(bearer(c.keys.clerk));
      expect(other.status).toBe(404);
      const sibling = await t.http().get(`/v1/regions?under=${c.villages[1]}`).set(bearer(c.keys.reviewer));
      expect(sibling.status).toBe(404);
      const own = await t.http().get(`/v1/regions?under=${c.villages[2]}`).set(bearer(c.otherVillageKeys.organizer));
      expect(own.status).toBe(200);
      expect(own.body.items.map((r: any) => r.code)).toEqual([c.villages[2]]);
    });

    it('keys of one tenant never see another tenant', async () => {
      const other = await makeCounty(t);
      for (const role of ['admin', 'auditor', 'clerk'] as const) {
        const res = await t.http().get(`/v1/regions?under=${other.county}`).set(bearer(c.keys[role]));
        expect(res.status).toBe(404);
      }
      const tenants = await t.http().get('/v1/tenants').set(bearer(c.keys.auditor));
      expect(tenants.body.items.map((x: any) => x.id)).toEqual([c.tenantId]);
    });
  });
});
