import { loadSqlMigrations, parseMigration } from './sql-migrations';

describe('SQL migrations', () => {
  it('splits up and down sections', () => {
    const m = parseMigration('1763800000000-some-thing.sql', '-- comment\n-- migrate:up\nCREATE TABLE a();\n-- migrate:down\nDROP TABLE a;\n');
    expect(m).toEqual({ timestamp: '1763800000000', name: 'some-thing', up: 'CREATE TABLE a();', down: 'DROP TABLE a;' });
  });

  it('refuses bad names and missing sections', () => {
    expect(() => parseMigration('init.sql', '-- migrate:up\n-- migrate:down')).toThrow(/must look like/);
    expect(() => parseMigration('1763800000000-x.sql', 'CREATE TABLE a();')).toThrow(/migrate:up/);
    expect(() => parseMigration('1763800000000-x.sql', '-- migrate:down\n-- migrate:up')).toThrow(/migrate:up/);
  });

  it('loads the shipped migrations in order, named with their timestamp last', () => {
    const names = loadSqlMigrations().map((c) => c.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names[0]).toBe('Platform1763800000000');
    const stamps = names.map((n) => n.slice(-13));
    expect([...stamps].sort()).toEqual(stamps);
  });
});
