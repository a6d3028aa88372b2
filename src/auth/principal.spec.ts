import { Forbidden, NotFound } from '../platform/http/app-error';
import { assertRegionInScope, KeyPrincipal, regionInScope } from './principal';

const key = (scope: string): KeyPrincipal => ({ kind: 'key', keyId: 'k', tenantId: 't', role: 'clerk', scopeRegionCode: scope, shopId: null, bankId: null, actor: { type: 'key' as const, id: 'k', name: 'test' } });

describe('region scope', () => {
  it.each([
    ['500154', '500154101001', true],
    ['500154101', '500154101001', true],
    ['500154101', '500154102001', false],
    ['500154101001', '500154101001', true],
    ['500154101001', '500154101002', false],
    ['500154101001', '500154101', false], // a village key does not reach its township
  ])('scope %s covers %s: %s', (scope, code, expected) => {
    expect(regionInScope(key(scope), code)).toBe(expected);
  });

  it('hides out-of-scope regions as 404, or says 403 when asked to', () => {
    expect(() => assertRegionInScope(key('500154101'), '500154102001', 'household')).toThrow(NotFound);
    expect(() => assertRegionInScope(key('500154101'), '500154102001', 'household', false)).toThrow(Forbidden);
    expect(() => assertRegionInScope({ kind: 'platform' }, '500154102001', 'household')).not.toThrow();
  });
});
