// npm run lint: typescript-eslint, type-aware, and the module boundaries as code
// (docs/architecture.md). Kept under config/ (the top level is fixed), so the
// script passes it with --config and runs from the repository root.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODULES = ['auth', 'banks', 'evidence', 'golive', 'boards', 'console', 'demo', 'grades', 'holders', 'funds', 'ledger', 'records', 'sanctions', 'service-orders', 'redemption', 'rules', 'tenancy', 'villagers', 'volunteering'];

// Another module is reached only through what it exports: its services, its
// module, its DTOs, its pure domain, and auth's principal and access decorator.
const OTHER_MODULE_INTERNALS = `^(\\.\\./)+(${MODULES.join('|')})/(?!([\\w.-]+\\.(service|module|dto)|domain/[\\w./-]+|principal|access\\.decorator)$)`;


// Which module owns which table (migrations/). A module writes only its own
// tables, and reads another's only where READS lists it; otherwise it calls the
// owner's service or selects from the owner's read model (views such as
// ledger_holder_balances, shop_asset_rates).
const TABLES = {
  ledger: ['accounts', 'assets', 'ledger_entries', 'ledger_transactions', 'ledger_holds', 'ledger_seals', 'ledger_anchors', 'account_days'],
  tenancy: ['tenants', 'regions'],
  auth: ['api_keys', 'api_key_events', 'users', 'user_sessions', 'sign_in_failures'],
  holders: ['households', 'people', 'household_counters'],
  redemption: ['shops', 'shop_items', 'redemptions', 'redemption_lines', 'pin_guards', 'pin_lockouts'],
  funds: ['funds', 'donations', 'settlements'],
  records: ['records', 'record_history', 'record_imports', 'base_grants'],
  sanctions: ['sanctions'],
  rules: ['rule_sets'],
  volunteering: ['activities', 'service_records', 'activity_check_ins'],
  'service-orders': ['service_orders', 'service_order_history', 'service_menu', 'service_settings', 'teams', 'team_members'],
  grades: ['grade_runs', 'grade_results', 'scorecards'],
  banks: ['banks', 'consents', 'consent_events', 'bank_access_log', 'bank_loans', 'export_signing_keys', 'bank_rate_buckets'],
  boards: ['boards'],
  golive: ['golive_migrations', 'golive_opening_balances', 'golive_records', 'golive_service_hours', 'golive_control_totals'],
  evidence: ['evidence_files'],
  villagers: ['household_sessions'],
};
// Reads across modules, each one listed: the reporting modules' set-based SQL over
// the registers (households, records, sanctions, hours) and grades' published
// results. Any other module's table read anywhere else fails lint; a new
// cross-module read is a change here, reviewed (docs/architecture.md). The
// ledger's, redemption's and funds' tables, which hold value, are never listed:
// they are read through services or read models (views).
const READS = {
  banks: ['grade_runs', 'grade_results', 'households'],
  boards: ['households', 'records', 'sanctions', 'regions'],
  demo: ['records'], // the loader picks records in notice to object to
  golive: ['boards', 'grade_runs'], // the publications a migration predates (they stay as published)
  grades: ['households', 'people', 'records', 'sanctions', 'service_records'],
  ledger: ['tenants'],
  sanctions: ['households', 'records', 'rule_sets'],
};
const inSql = (re) => [`TemplateElement[value.raw=${re}]`, `Literal[value=${re}]`].join(', ');

// Rows are locked FOR NO KEY UPDATE: FOR UPDATE also blocks the foreign-key
// checks (KEY SHARE) of inserts that merely reference the row (an entry, a hold,
// a redemption), which pulls those inserts into the lock order and deadlocks.
const NO_KEY_UPDATE = { selector: inSql('/FOR UPDATE/'), message: 'lock rows FOR NO KEY UPDATE (FOR UPDATE blocks foreign-key checks of inserts referencing the row; docs/architecture.md)' };

// A table written is named in the SQL itself, not interpolated, so that its owner can be checked.
const LITERAL_WRITES = { selector: 'TemplateElement[value.raw=/\\b(UPDATE|INSERT INTO|DELETE FROM|TRUNCATE)\\s+$/]', message: 'name the table a statement writes literally (not through ${…}), so that lint can check who owns it' };

function tableOwnership() {
  const everywhere = { files: ['src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', NO_KEY_UPDATE, LITERAL_WRITES] } };
  return [everywhere, ...MODULES.map((mod) => {
    const others = Object.entries(TABLES).filter(([owner]) => owner !== mod);
    const written = others.flatMap(([, tables]) => tables);
    const unread = written.filter((t) => !(READS[mod] ?? []).includes(t) && (t === 'assets' || !TABLES.ledger.includes(t)));
    const rules = [
      NO_KEY_UPDATE,
      LITERAL_WRITES,
      { selector: inSql(`/\\b(UPDATE|INSERT INTO|DELETE FROM|TRUNCATE)\\s+(${written.join('|')})\\b/`), message: 'a module writes only its own tables: ask the owner\'s service (docs/architecture.md)' },
    ];
    if (mod !== 'ledger') {
      // Any mention, as the grep has it: the ledger's tables are named only in src/ledger.
      rules.push({ selector: inSql(`/\\b(${TABLES.ledger.filter((t) => t !== 'assets').join('|')})\\b/`), message: 'the ledger\'s tables are the ledger\'s: use LedgerQueries or the views ledger_holder_balances / ledger_holder_entries (docs/ledger.md)' });
    }
    if (unread.length) {
      rules.push({ selector: inSql(`/\\b(FROM|JOIN)\\s+(${unread.join('|')})\\b/`), message: 'another module\'s table: read it through its service or read model, or list the read in READS (docs/architecture.md)' });
    }
    return { files: [`src/${mod}/**/*.ts`], rules: { 'no-restricted-syntax': ['error', ...rules] } };
  })];
}

// The module map (docs/architecture.md): which modules each may import. Any
// other import of a module fails lint, as does reaching into a module's internals.
const ARROWS = {
  platform: ['auth'], // the operations routes are @Public()
  tenancy: ['auth'],
  auth: ['tenancy'],
  holders: ['auth', 'tenancy'],
  ledger: ['auth', 'holders', 'tenancy'],
  rules: ['auth', 'ledger', 'tenancy'],
  sanctions: ['auth', 'holders', 'ledger', 'rules'],
  records: ['auth', 'evidence', 'holders', 'ledger', 'rules', 'sanctions'],
  volunteering: ['auth', 'holders', 'ledger', 'rules', 'tenancy'],
  grades: ['auth', 'ledger', 'rules', 'tenancy'],
  redemption: ['auth', 'holders', 'ledger', 'rules', 'sanctions', 'tenancy'],
  funds: ['auth', 'holders', 'ledger', 'redemption', 'rules', 'tenancy'],
  'service-orders': ['auth', 'holders', 'ledger', 'tenancy', 'volunteering'],
  banks: ['auth', 'holders', 'ledger', 'rules', 'tenancy'],
  boards: ['auth', 'grades', 'ledger', 'rules', 'tenancy'],
  golive: ['auth', 'holders', 'ledger', 'records', 'tenancy', 'volunteering'],
  evidence: [],
  villagers: ['auth', 'evidence', 'holders', 'ledger', 'records', 'redemption', 'rules', 'sanctions', 'tenancy'],
  console: ['auth'],
  demo: MODULES.filter((m) => m !== 'demo'),
  cli: ['ledger'],
};

function moduleArrows() {
  const internals = { regex: OTHER_MODULE_INTERNALS, message: 'another module is reached through its exported services, module, DTOs or pure domain only (docs/architecture.md)' };
  return [
    { files: ['src/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [internals] }] } },
    ...Object.entries(ARROWS).map(([mod, allowed]) => {
      const forbidden = MODULES.filter((m) => m !== mod && !allowed.includes(m));
      const arrow = { regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message: `${mod} imports only ${allowed.join(', ')} (the module map, docs/architecture.md)` };
      return { files: [`src/${mod}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns: forbidden.length ? [internals, arrow] : [internals] }] } };
    }),
  ];
}

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
  ...moduleArrows(),
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
  ...tableOwnership(),
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
