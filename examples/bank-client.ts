/**
 * What a rural bank's system writes against jifen (docs/integrators-banks.md):
 * look up a household's credit grade by the head's ID number, stream the
 * county's signed export and verify it with the key it names, then report a
 * loan granted on the grade.
 *
 * The types come from jifen's OpenAPI document:
 *
 *   npx openapi-typescript https://<jifen>/docs-json -o examples/generated/jifen-api.d.ts
 *
 * (CI generates them from the live document and type-checks this file against
 * them, then runs it against a test server: test/e2e/bank-client.e2e.spec.ts.)
 * openapi-fetch turns them into a typed client: a path, a parameter or a field
 * that the API no longer has is a compile error here.
 */
import { createHash, createPublicKey, verify } from 'crypto';
import createClient from 'openapi-fetch';
import type { paths } from './generated/jifen-api';

export interface BankClientRun {
  grade: string | null;
  creditLine: string | null;
  exportLines: number;
  keyId: string;
  signatureValid: boolean;
  loanId: string;
}

/**
 * One pass of the bank's integration. `bankId` is the bank's own id (given at
 * onboarding): it is part of what the county signs, so an export cannot be
 * passed off to another bank.
 */
export async function runBankClient(baseUrl: string, apiKey: string, bankId: string, idNumber: string, regionCode: string, log: (line: string) => void = console.log): Promise<BankClientRun> {
  const jifen = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

  // 1. A grade, by the head's ID number (404 unless the household consented and is graded).
  const { data: grade, error, response } = await jifen.GET('/v1/bank/grades', { params: { query: { idNumber } } });
  if (!grade) throw new Error(`grade lookup: ${response.status} ${JSON.stringify(error)}`);
  log(`grade ${grade.grade ?? 'ungraded'} as of ${grade.asOf}, credit line ${grade.creditLine ?? '—'} CNY`);

  // 2. The signed export of the village, streamed; its digest and signature checked.
  const exported = await fetch(`${baseUrl}/v1/bank/grades/export?regionCode=${regionCode}&format=ndjson`, { headers: { Authorization: `Bearer ${apiKey}` } });
  if (!exported.ok || !exported.body) throw new Error(`export: ${exported.status}`);
  const digest = createHash('sha256');
  let lines = 0;
  const decoder = new TextDecoder();
  for await (const chunk of exported.body as unknown as AsyncIterable<Uint8Array>) {
    digest.update(chunk);
    lines += decoder.decode(chunk, { stream: true }).split('\n').length - 1;
  }
  const digestHex = digest.digest('hex');
  if (digestHex !== exported.headers.get('x-export-digest')) throw new Error('export: the body does not match X-Export-Digest');
  const keyId = exported.headers.get('x-export-key-id') ?? '';
  const { data: keys } = await jifen.GET('/v1/bank/signing-keys');
  const key = keys?.items.find((k) => k.keyId === keyId);
  if (!key) throw new Error(`export: no listed key ${keyId}`);
  const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64'), format: 'der', type: 'spki' });
  const message = Buffer.from(`${digestHex}\n${exported.headers.get('x-export-run-id')}\n${bankId}`, 'utf8');
  const signatureValid = verify(null, message, publicKey, Buffer.from(exported.headers.get('x-export-signature') ?? '', 'base64'));
  log(`export: ${lines} households, signed by key ${keyId}: ${signatureValid ? 'valid' : 'INVALID'}`);

  // 3. A loan granted on the grade, reported back.
  const { data: loan, error: loanError } = await jifen.POST('/v1/bank/loans', {
    body: { householdRef: grade.householdRef, amount: grade.creditLine ?? '10000.00', rate: '0.0385', grantedOn: grade.asOf },
  });
  if (!loan) throw new Error(`loan: ${JSON.stringify(loanError)}`);
  log(`loan ${loan.id} reported: ${loan.amount} CNY at ${loan.rate}`);
  return { grade: grade.grade, creditLine: grade.creditLine, exportLines: lines, keyId, signatureValid, loanId: loan.id };
}

if (require.main === module) {
  const [baseUrl, apiKey, bankId, idNumber, regionCode] = process.argv.slice(2);
  runBankClient(baseUrl, apiKey, bankId, idNumber, regionCode).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
