import { hashPin, idCheckDigit, maskIdNumber, maskPhone, normaliseIdNumber, PiiCipher, verifyPin } from './pii';

describe('PII helpers', () => {
  const cipher = new PiiCipher('k'.repeat(40));

  it('encrypts with a fresh IV each time and decrypts back', () => {
    const a = cipher.encrypt('51010119900101123X');
    const b = cipher.encrypt('51010119900101123X');
    expect(a.equals(b)).toBe(false);
    expect(cipher.decrypt(a)).toBe('51010119900101123X');
  });

  it('detects tampering', () => {
    const blob = cipher.encrypt('13800001234');
    blob[blob.length - 1] ^= 1;
    expect(() => cipher.decrypt(blob)).toThrow();
  });

  it('keys the lookup hash: same value same hash, other key other hash', () => {
    expect(cipher.lookup('x').equals(cipher.lookup('x'))).toBe(true);
    expect(new PiiCipher('z'.repeat(40)).lookup('x').equals(cipher.lookup('x'))).toBe(false);
  });

  it('validates ID numbers by check digit', () => {
    const first17 = '51010119900101123';
    const valid = first17 + idCheckDigit(first17);
    expect(normaliseIdNumber(valid.toLowerCase())).toBe(valid);
    const wrong = first17 + (idCheckDigit(first17) === '0' ? '1' : '0');
    expect(normaliseIdNumber(wrong)).toBeNull();
    expect(normaliseIdNumber('12345')).toBeNull();
  });

  it('masks', () => {
    expect(maskIdNumber('510101199001011234')).toBe('5101**********1234');
    expect(maskPhone('13800001234')).toBe('138****1234');
  });

  it('hashes PINs slowly and verifies them', async () => {
    const h = await hashPin('123456');
    expect(h).toMatch(/^scrypt\$/);
    expect(await verifyPin('123456', h)).toBe(true);
    expect(await verifyPin('654321', h)).toBe(false);
  });
});
