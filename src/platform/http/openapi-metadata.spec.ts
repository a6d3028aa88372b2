import { readFileSync } from 'fs';
import * as path from 'path';
import { METADATA_FILE, openApiMetadataSource } from '../../../scripts/openapi-metadata';

describe('src/openapi.metadata.ts', () => {
  it('is what the current DTOs and controllers generate (run npm run openapi:metadata after changing them)', () => {
    const committed = readFileSync(path.join(__dirname, '..', '..', METADATA_FILE), 'utf8');
    const current = openApiMetadataSource();
    expect(current.length).toBeGreaterThan(10_000);
    expect(current === committed).toBe(true);
  });
});
