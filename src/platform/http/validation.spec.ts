import { ValidationError } from 'class-validator';
import { flattenValidationErrors } from './validation';

describe('flattenValidationErrors', () => {
  it('names nested and array fields by path', () => {
    const child = Object.assign(new ValidationError(), { property: 'code', constraints: { isString: 'code must be a string' }, children: [] });
    const item = Object.assign(new ValidationError(), { property: '0', children: [child] });
    const items = Object.assign(new ValidationError(), { property: 'items', children: [item] });
    const unknown = Object.assign(new ValidationError(), { property: 'extra', constraints: { whitelistValidation: 'property extra should not exist' }, children: [] });
    expect(flattenValidationErrors([items, unknown])).toEqual([
      { field: 'items[0].code', messages: ['items[0].code must be a string'] },
      { field: 'extra', messages: ['extra is not a known field'] },
    ]);
  });
});
