import { readdirSync, statSync } from 'fs';
import * as path from 'path';
import { getMetadataStorage, ValidationTypes } from 'class-validator';

/**
 * Rules every request DTO follows, checked on class-validator's own metadata so
 * that a new DTO cannot forget them: a nested object is declared with
 * `Nested` (ValidateNested alone lets an absent, null or array value through,
 * and the service then reads a field of undefined: a 500 for a bad request).
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(dto|controller)\.ts$/.test(name) ? [full] : [];
  });
}

describe('request DTOs', () => {
  const root = path.join(__dirname, '..', '..');
  const files = sourceFiles(root);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const f of files) require(f);
  const all = (getMetadataStorage() as unknown as { validationMetadatas: Map<abstract new (...args: never[]) => unknown, { type: string; name?: string; propertyName: string; each: boolean; target: { name: string } }[]> })
    .validationMetadatas;

  it('are found (the check looks at something)', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(all.size).toBeGreaterThan(40);
  });

  it('use IsOptional from validators.ts (absent only), never class-validator\'s (which lets null through)', () => {
    // (EnvVars, the environment read at boot, is not a request: an empty variable is absent.)
    const nullable: string[] = [];
    let optional = 0;
    for (const [target, list] of all) {
      for (const v of list) {
        if (v.name === 'isOptional' && target.name !== 'EnvVars') nullable.push(`${target.name}.${v.propertyName}`);
        if (v.type === ValidationTypes.CONDITIONAL_VALIDATION) optional++;
      }
    }
    expect(optional).toBeGreaterThan(50);
    expect(nullable).toEqual([]);
  });

  it('declare every nested object with Nested: an object check beside ValidateNested, for one value or each', () => {
    const missing: string[] = [];
    let nested = 0;
    for (const [target, list] of all) {
      for (const v of list.filter((x) => x.type === ValidationTypes.NESTED_VALIDATION)) {
        nested++;
        const guarded = list.some((x) => x.propertyName === v.propertyName && x.name === 'isObject' && x.each === v.each);
        if (!guarded) missing.push(`${target.name}.${v.propertyName}`);
      }
    }
    expect(nested).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
