/**
 * npm run openapi:metadata — writes src/openapi.metadata.ts: what @nestjs/swagger's
 * compiler plugin reads from the DTOs and controllers (types, required fields,
 * patterns, enums, doc comments), generated ahead of time so that the OpenAPI
 * document is the same whether the code runs built (nest build), under ts-node or
 * under jest. `openApiMetadataSource()` is also what the drift test compares against.
 */
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator';
// The package exports its plugin as a subpath whose types this tsconfig's module resolution does not see.
const { ReadonlyVisitor } = require('@nestjs/swagger/plugin') as typeof import('@nestjs/swagger/dist/plugin');
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
export const METADATA_FILE = 'openapi.metadata.ts';

function generate(outputDir: string): void {
  new PluginMetadataGenerator().generate({
    visitors: [new ReadonlyVisitor({ introspectComments: true, pathToSource: path.join(ROOT, 'src'), classValidatorShim: true })],
    outputDir,
    watch: false,
    tsconfigPath: path.relative(process.cwd(), path.join(ROOT, 'tsconfig.json')), // the generator wants it relative
    filename: METADATA_FILE,
    printDiagnostics: false,
  });
}

/** The metadata file as the current code would generate it. */
export function openApiMetadataSource(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jifen-openapi-'));
  try {
    generate(dir);
    // Generated outside src/, its imports would point back into src; written inside, they are relative to it.
    return readFileSync(path.join(dir, METADATA_FILE), 'utf8').replace(new RegExp(`(import\\(")${escape(path.relative(dir, path.join(ROOT, 'src')))}/`, 'g'), '$1./');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The generator type-checks the whole program, this file included: after a
 * module moves, the old file names what is gone and fails the check. It is set
 * aside for an empty one while generating, and put back if generation fails
 * (the generator leaves by process.exit on a type error, so on 'exit').
 */
const EMPTY = `/* eslint-disable */\nexport default async () => ({});\n`;

if (require.main === module && process.argv.includes('--print')) {
  // The drift test's way in: the CLI's generator loads ES-module-only packages (ora),
  // which Node requires natively but Jest's module loader does not.
  process.stdout.write(openApiMetadataSource());
} else if (require.main === module) {
  const file = path.join(ROOT, 'src', METADATA_FILE);
  const previous = readFileSync(file, 'utf8');
  process.on('exit', () => {
    if (readFileSync(file, 'utf8') !== EMPTY) return;
    writeFileSync(file, previous);
    process.stderr.write(`src/${METADATA_FILE} not regenerated: the code does not type-check (npm run typecheck); the old file is back\n`);
    process.exitCode = 1;
  });
  writeFileSync(file, EMPTY);
  generate(path.join(ROOT, 'src'));
  process.stdout.write(`wrote src/${METADATA_FILE}\n`);
}
