import { maskName, printablePage } from './public-page';

describe('public pages', () => {
  it.each([
    ['王小明', '王*明'],
    ['欧阳建国华', '欧阳**华'],
    ['欧阳建华', '欧阳*华'],
    ['李四', '李*'],
    ['张', '张*'],
    [' 赵钱孙李 ', '赵**李'],
  ])('masks %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('a three-character name with a compound surname keeps only its first character', () => {
    expect(maskName('欧阳华')).toBe('欧*华');
  });

  it('escapes what it prints', () => {
    const html = printablePage('<b>', 'x', [{ caption: 'c', columns: ['名'], rows: [['<script>']], empty: '无' }], 'f');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
