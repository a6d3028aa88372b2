import { idCheckDigit } from '../../src/platform/crypto/pii';
import type { Role } from '../../src/auth/principal';
import { asAdmin, bearer, nextCountyCode, TestApp } from './test-app';

export interface County {
  tenantId: string;
  county: string;
  townships: [string, string];
  villages: [string, string, string];
  /** A key of each role: clerk/reviewer/organizer are scoped to villages[0]. */
  keys: Record<Role, string>;
  /** Keys of the same roles scoped to villages[2] (the other township). */
  otherVillageKeys: Record<'clerk' | 'reviewer' | 'organizer', string>;
  /** The county's incentive fund (conversion 1 XIAOSHAN point per CNY). */
  fundId: string;
  /** The shop of keys.shopkeeper: serves townships[0] (villages 0 and 1), takes CONDUCT at 1 CNY and YIBI at 0.5 CNY a point. */
  shopId: string;
  /** The bank of keys.bank. */
  bankId: string;
}

export async function issueKey(t: TestApp, tenantId: string, role: Role, extra: Record<string, string> = {}): Promise<string> {
  const res = await t.http().post('/v1/api-keys').set(asAdmin).send({ tenantId, name: `${role} key`, role, ...extra });
  if (res.status !== 201) throw new Error(`issuing ${role} key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.apiKey;
}

/**
 * A county with two townships and three villages (two under the first
 * township), and keys for every role.
 */
/** `dbUrl`: the database the app serves, when it is not this worker's own. */
export async function makeCounty(t: TestApp, dbUrl?: string): Promise<County> {
  const county = await nextCountyCode(dbUrl);
  const res = await t.http().post('/v1/tenants').set(asAdmin).send({ regionCode: county, name: `测试县${county}` });
  if (res.status !== 201) throw new Error(`creating tenant: ${res.status} ${JSON.stringify(res.body)}`);
  const tenantId: string = res.body.id;
  const townships: [string, string] = [`${county}101`, `${county}102`];
  const villages: [string, string, string] = [`${county}101001`, `${county}101002`, `${county}102001`];
  const add = async (code: string, parentCode: string, name: string) => {
    const r = await t.http().post('/v1/regions').set(asAdmin).send({ code, name, parentCode });
    if (r.status !== 201) throw new Error(`creating region ${code}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await add(townships[0], county, '关面乡');
  await add(townships[1], county, '白泉乡');
  await add(villages[0], townships[0], '泉秀村');
  await add(villages[1], townships[0], '红旗村');
  await add(villages[2], townships[1], '白泉村');
  const scoped = { scopeRegionCode: villages[0] };
  const other = { scopeRegionCode: villages[2] };
  const admin = await issueKey(t, tenantId, 'admin');
  const fund = await t.http().post('/v1/funds').set(bearer(admin)).send({ name: '县文明实践激励基金', regionCode: county, conversionRate: '1' });
  if (fund.status !== 201) throw new Error(`creating fund: ${fund.status} ${JSON.stringify(fund.body)}`);
  const shop = await t.http().post('/v1/shops').set(bearer(admin))
    .send({ name: '泉秀村积分超市', regionCode: townships[0], acceptedAssets: ['CONDUCT', 'YIBI'], rates: { CONDUCT: '1', YIBI: '0.5' }, fundId: fund.body.id });
  if (shop.status !== 201) throw new Error(`creating shop: ${shop.status} ${JSON.stringify(shop.body)}`);
  const bank = await t.http().post('/v1/banks').set(bearer(admin)).send({ name: '开州农商银行' });
  if (bank.status !== 201) throw new Error(`creating bank: ${bank.status} ${JSON.stringify(bank.body)}`);
  const keys = {
    admin,
    auditor: await issueKey(t, tenantId, 'auditor'),
    clerk: await issueKey(t, tenantId, 'clerk', scoped),
    reviewer: await issueKey(t, tenantId, 'reviewer', scoped),
    organizer: await issueKey(t, tenantId, 'organizer', scoped),
    shopkeeper: await issueKey(t, tenantId, 'shopkeeper', { shopId: shop.body.id }),
    bank: await issueKey(t, tenantId, 'bank', { bankId: bank.body.id }),
  } as Record<Role, string>;
  const otherVillageKeys = {
    clerk: await issueKey(t, tenantId, 'clerk', other),
    reviewer: await issueKey(t, tenantId, 'reviewer', other),
    organizer: await issueKey(t, tenantId, 'organizer', other),
  };
  return { tenantId, county, townships, villages, keys, otherVillageKeys, fundId: fund.body.id, shopId: shop.body.id, bankId: bank.body.id };
}

export { bearer };

let idSerial = 0;
/** A valid 18-character resident ID number, unique within this worker. */
export function newIdNumber(): string {
  const first17 = `5101011990${String(process.pid % 100).padStart(2, '0')}${String(idSerial++).padStart(5, '0')}`;
  return first17 + idCheckDigit(first17);
}

export async function makeHousehold(t: TestApp, key: string, villageCode: string, headName = '王小明'): Promise<string> {
  const res = await t.http().post('/v1/households').set(bearer(key)).send({ villageCode, headName, pin: '123456' });
  if (res.status !== 201) throw new Error(`creating household: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function makePerson(t: TestApp, key: string, regionCode: string, name = '李志愿'): Promise<string> {
  const res = await t.http().post('/v1/people').set(bearer(key)).send({ regionCode, name });
  if (res.status !== 201) throw new Error(`creating person: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

let keySerial = 0;
export const newIdempotencyKey = () => `test-${process.pid}-${Date.now()}-${keySerial++}`;

/** POST /v1/records/import with a CSV body, as `key`. */
export const importCsv = (t: TestApp, key: string, csv: string, query = '') =>
  t.http().post(`/v1/records/import${query}`).set(bearer(key)).set('Content-Type', 'text/csv').send(Buffer.from(csv));

/** POST /v1/records/imports/{id}/approve, as `key` (a reviewer other than the importer). */
export const approveImport = (t: TestApp, key: string, importId: string, approvalRef = '评议会纪要') =>
  t.http().post(`/v1/records/imports/${importId}/approve`).set(bearer(key)).send({ approvalRef });

/** The two steps of an import (issue 18): `importer` enters the file, `approver` approves it; answers both. */
export async function importAndApprove(t: TestApp, csv: string, importer: string, approver: string, query = '') {
  const entered = await importCsv(t, importer, csv, query);
  if (entered.status !== 201) return { entered, approved: null };
  return { entered, approved: await approveImport(t, approver, entered.body.importId) };
}

let phoneSerial = 0;
/**
 * A mobile number unique within this worker's database: the test files of one
 * worker share it, one after another, and each loads this module afresh, so the
 * numbers start from the moment the file was loaded (milliseconds), not from 0.
 */
const FILE_STAMP = String(Date.now() % 1_000_000).padStart(6, '0');
export const newPhone = () => `1${FILE_STAMP}${String(phoneSerial++).padStart(4, '0')}`;

export interface SignedInUser {
  id: string;
  phone: string;
  password: string;
  /** A session token, the initial password already changed. */
  token: string;
}

/**
 * A user created by `adminKey`, signed in, its initial password changed: ready
 * to act (a person, as opposed to a key). `extra`: scopeRegionCode, shopId.
 */
export async function makeUser(t: TestApp, adminKey: string, role: Exclude<Role, 'bank'>, name: string, extra: Record<string, string> = {}): Promise<SignedInUser> {
  const phone = newPhone();
  const created = await t.http().post('/v1/users').set(bearer(adminKey)).send({ name, phone, role, ...extra });
  if (created.status !== 201) throw new Error(`creating user: ${created.status} ${JSON.stringify(created.body)}`);
  const first = await t.http().post('/v1/sessions').send({ phone, password: created.body.initialPassword });
  if (first.status !== 201) throw new Error(`signing in: ${first.status} ${JSON.stringify(first.body)}`);
  const password = `cunli-mima-${phoneSerial}`;
  const changed = await t.http().put('/v1/me/password').set(bearer(first.body.token)).send({ currentPassword: created.body.initialPassword, newPassword: password });
  if (changed.status !== 204) throw new Error(`changing password: ${changed.status} ${JSON.stringify(changed.body)}`);
  return { id: created.body.id, phone, password, token: first.body.token };
}
