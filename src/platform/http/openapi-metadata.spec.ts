import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('src/openapi.metadata.ts', () => {
  it('is what the current DTOs and controllers generate (run npm run openapi:metadata after changing them)', () => {
    const committed = readFileSync(path.join(ROOT, 'src', 'openapi.metadata.ts'), 'utf8');
    // In a process of its own: @nestjs/cli's generator is made of ES modules Jest cannot load.
    const current = execFileSync(
      process.execPath,
      [require.resolve('ts-node/dist/bin'), '--transpile-only', '-P', 'test/tsconfig.json', 'scripts/openapi-metadata.ts', '--print'],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(current.length).toBeGreaterThan(10_000);
    expect(current === committed).toBe(true);
  });
});
