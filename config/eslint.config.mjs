// npm run lint: typescript-eslint, type-aware, and the module boundaries as code
// (docs/architecture.md). Kept under config/ (the top level is fixed), so the
// script passes it with --config and runs from the repository root.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODULES = ['auth', 'banks', 'boards', 'console', 'demo', 'grades', 'holders', 'ledger', 'records', 'sanctions', 'service-orders', 'redemption', 'rules', 'tenancy', 'volunteering'];

// Another module is reached only through what it exports: its services, its
// module, its DTOs, its pure domain, and auth's principal and access decorator.
const OTHER_MODULE_INTERNALS = `^(\\.\\./)+(${MODULES.join('|')})/(?!([\\w.-]+\\.(service|module|dto)|domain/[\\w./-]+|principal|access\\.decorator)$)`;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/openapi.metadata.ts', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './test/tsconfig.json'], tsconfigRootDir: process.cwd() },
    },
    rules: {
      // Query results are typed where they are read (row interfaces); elsewhere `any` stays visible in review.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A promise left unawaited loses its error (ARCHITECTURE.md, rule 8); `void` marks the intended ones.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Chinese text uses the full-width space (　) on purpose; outside strings it is still an error.
      'no-irregular-whitespace': ['error', { skipStrings: true, skipTemplates: true }],
    },
  },
  {
    // The module boundaries: a module never reaches into another's internals.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: OTHER_MODULE_INTERNALS, message: 'another module is reached through its exported services, module, DTOs or pure domain only (docs/architecture.md)' }] }],
    },
  },
  {
    // The domains are pure TypeScript: no framework, no database, nothing outside their folder.
    files: ['src/*/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@nestjs/*', 'typeorm', 'pg', 'express'], message: 'the domain knows nothing of Nest, TypeORM or HTTP' },
        // Pure helpers of the platform (canonical JSON, hashing, SQL literals) are allowed; nothing else outside.
        { regex: '^(\\.\\./)+(?!\\.\\./|platform/util/)', message: 'the domain imports only the domain and the platform\'s pure helpers' },
      ] }],
    },
  },
  {
    // The ledger's tables are the ledger's: only src/ledger names them in SQL (a module reads its read model).
    files: ['src/**/*.ts'],
    ignores: ['src/ledger/**', 'src/platform/**', 'src/demo/**'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "TemplateElement[value.raw=/\\b(accounts|ledger_entries|ledger_transactions|ledger_holds|ledger_seals)\\b/], Literal[value=/\\b(accounts|ledger_entries|ledger_transactions|ledger_holds|ledger_seals)\\b/]",
        message: 'the ledger\'s tables are the ledger\'s: use LedgerQueries or the views ledger_holder_balances / ledger_holder_entries (docs/ledger.md)',
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // Tests and benchmarks drive the ledger's internals on purpose.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The ledger, redemption and grades read typed rows (queryRows<Row>), never an untyped any.
    files: ['src/ledger/**/*.ts', 'src/redemption/**/*.ts', 'src/grades/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
    },
  },
);
